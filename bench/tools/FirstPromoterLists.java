import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's FirstPromoter for the reconciliation level: N open rewards over P promoters (half
 * credits, half free months; promoter p's cust_id is cus_bench_p, a customer the bench's Stripe stand-in
 * knows), listed and closed as FirstPromoter's docs describe (the test suite's stand-in, OpenRewards, in
 * plain Java): API v1 payouts/list?status=pending paged by a Link header (V1_PAGE a page) and
 * payouts/update; API v2 commissions?filters[status]=approved&filters[fulfilled]=no paged by page and
 * per_page (at most 100), oldest first when asked, mark_fulfilled (five ids or fewer closed at once, more
 * answered 202 pending and closed nothing), promoters/{id} and rewards. No rate limit: the bridge's own
 * budget is what is measured. Every call is counted by kind; GET /bench/calls answers the counts and how
 * many rewards are still open.
 * Run: java bench/tools/FirstPromoterLists.java PORT KIND(v1|v2) REWARDS PROMOTERS V1_PAGE
 */
public class FirstPromoterLists {

    static final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    /** id -> open; insertion order is creation order (oldest first). */
    static final Map<Long, Boolean> open = new LinkedHashMap<>();
    static final Map<Long, String> units = new LinkedHashMap<>();
    static final Map<Long, Long> promoterOf = new LinkedHashMap<>();
    static final Instant CREATED = Instant.parse("2026-06-01T00:00:00Z");
    static String base;
    static int v1Page;

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        String kind = args[1];
        int rewards = Integer.parseInt(args[2]);
        int promoters = Integer.parseInt(args[3]);
        v1Page = Integer.parseInt(args[4]);
        base = "http://127.0.0.1:" + port;
        for (int i = 0; i < rewards; i++) {
            long id = 5_000_000L + i;
            open.put(id, true);
            // Half credits, half free months, every promoter with both.
            units.put(id, i % 2 == 0 ? "credits" : "free_months");
            promoterOf.put(id, 700_000L + (i / 2) % promoters);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setExecutor(Executors.newFixedThreadPool(32));
        server.createContext("/", exchange -> {
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                answer(exchange, kind, new String(body, StandardCharsets.UTF_8));
            } catch (Exception e) {
                send(exchange, 500, "{\"message\":\"" + e + "\"}", null);
            } finally {
                exchange.close();
            }
        });
        server.createContext("/bench/calls", exchange -> {
            StringBuilder text = new StringBuilder();
            new java.util.TreeMap<>(calls).forEach((k, v) -> text.append(k).append('=').append(v.get()).append(' '));
            synchronized (open) {
                text.append("open=").append(open.values().stream().filter(b -> b).count());
            }
            send(exchange, 200, text.toString(), null);
            exchange.close();
        });
        server.start();
        System.out.println("firstpromoter stand-in on 127.0.0.1:" + port + ": " + rewards + " open " + kind + " rewards over " + promoters
                + " promoters");
    }

    static void count(String what) {
        calls.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    static void answer(HttpExchange exchange, String kind, String body) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Map<String, String> query = query(exchange);
        if (method.equals("GET") && path.equals("/api/v1/payouts/list")) {
            count("list");
            int page = Integer.parseInt(query.getOrDefault("page", "1"));
            List<Long> pending = openIds("pending".equals(query.get("status")));
            List<Long> items = slice(pending, page, v1Page);
            String link = page * v1Page < pending.size()
                    ? "<" + base + "/api/v1/payouts/list?status=pending&page=" + (page + 1) + ">; rel=\"next\"" : null;
            StringBuilder json = new StringBuilder("[");
            for (long id : items) {
                json.append(json.length() > 1 ? "," : "").append(payout(id));
            }
            send(exchange, 200, json.append(']').toString(), link);
        } else if (method.equals("PUT") && path.equals("/api/v1/payouts/update")) {
            count("close");
            long id = Long.parseLong(query.get("id"));
            synchronized (open) {
                if (!open.containsKey(id)) {
                    send(exchange, 404, "{\"message\":\"Payment not found\"}", null);
                    return;
                }
                if ("completed".equals(query.get("status"))) {
                    open.put(id, false);
                }
            }
            send(exchange, 200, payout(id), null);
        } else if (method.equals("GET") && path.equals("/api/v2/company/commissions") && query.containsKey("ids[]")) {
            count("commission");
            long id = Long.parseLong(query.get("ids[]"));
            send(exchange, 200, units.containsKey(id) ? "[" + commission(id) + "]" : "[]", null);
        } else if (method.equals("GET") && path.equals("/api/v2/company/commissions")) {
            count("list");
            int page = Integer.parseInt(query.getOrDefault("page", "1"));
            int perPage = Math.min(100, Integer.parseInt(query.getOrDefault("per_page", "20")));
            List<Long> items = slice(openIds("no".equals(query.get("filters[fulfilled]"))), page, perPage);
            StringBuilder json = new StringBuilder("[");
            for (long id : items) {
                json.append(json.length() > 1 ? "," : "").append(commission(id));
            }
            send(exchange, 200, json.append(']').toString(), null);
        } else if (method.equals("POST") && path.equals("/api/v2/company/commissions/mark_fulfilled")) {
            count("close");
            List<Long> ids = new ArrayList<>();
            Matcher m = Pattern.compile("\\d+").matcher(body);
            while (m.find()) {
                ids.add(Long.parseLong(m.group()));
            }
            count("closed_ids:" + Math.min(ids.size(), 6));
            if (ids.size() > 5) {
                send(exchange, 202, "{\"id\":4713,\"status\":\"pending\",\"total\":" + ids.size() + ",\"selected_total\":" + ids.size()
                        + ",\"processed_count\":0,\"failed_count\":0,\"action_label\":\"mark_fulfilled\",\"meta\":{},\"progress\":0,"
                        + "\"processing_errors\":[]}", null);
                return;
            }
            int failed = 0;
            synchronized (open) {
                for (long id : ids) {
                    if (open.containsKey(id)) {
                        open.put(id, false);
                    } else {
                        failed++;
                    }
                }
            }
            send(exchange, 200, "{\"id\":4711,\"status\":\"completed\",\"total\":" + ids.size() + ",\"selected_total\":" + ids.size()
                    + ",\"processed_count\":" + (ids.size() - failed) + ",\"failed_count\":" + failed
                    + ",\"action_label\":\"mark_fulfilled\",\"meta\":{},\"progress\":100,\"processing_errors\":[]}", null);
        } else if (method.equals("GET") && path.startsWith("/api/v2/company/promoters/")) {
            count("promoter");
            long id = Long.parseLong(path.substring("/api/v2/company/promoters/".length()));
            send(exchange, 200, "{\"id\":" + id + ",\"email\":\"promoter" + id + "@example.org\",\"name\":\"Pat Promoter\",\"cust_id\":"
                    + "\"cus_bench_" + id + "\",\"is_confirmed\":true,\"profile\":{\"id\":" + id + ",\"first_name\":\"Pat\"},"
                    + "\"balances\":{\"cash\":0},\"promoter_campaigns\":[]}", null);
        } else if (method.equals("GET") && path.equals("/api/v2/company/rewards")) {
            count("rewards");
            String page = query.getOrDefault("page", "1");
            send(exchange, 200, page.equals("1") ? "[" + reward(1, "credits") + "," + reward(2, "free_months") + "]" : "[]", null);
        } else {
            count("other");
            send(exchange, 404, "{\"message\":\"Record not found\",\"code\":\"not_found\"}", null);
        }
    }

    static List<Long> openIds(boolean onlyOpen) {
        synchronized (open) {
            List<Long> ids = new ArrayList<>();
            open.forEach((id, isOpen) -> {
                if (isOpen || !onlyOpen) {
                    ids.add(id);
                }
            });
            return ids;
        }
    }

    static List<Long> slice(List<Long> ids, int page, int size) {
        int from = Math.max(0, (page - 1) * size);
        return from >= ids.size() ? List.of() : ids.subList(from, Math.min(ids.size(), from + size));
    }

    static Instant created(long id) {
        return CREATED.plusSeconds(id - 5_000_000L);
    }

    static boolean isOpen(long id) {
        synchronized (open) {
            return open.get(id);
        }
    }

    static String payout(long id) {
        String unit = units.get(id);
        long promoter = promoterOf.get(id);
        return "{\"id\":" + id + ",\"status\":\"" + (isOpen(id) ? "pending" : "completed") + "\",\"amount\":\""
                + (unit.equals("credits") ? "20" : "1") + "\",\"date_paid\":null,\"due_date\":null,\"unit\":\"" + unit
                + "\",\"created_at\":\"" + created(id) + "\",\"has_issues\":false,\"reward\":{\"id\":140362,\"unit\":\"" + unit
                + "\",\"name\":\"Reward\"},\"promoter\":{\"id\":" + promoter + ",\"status\":\"active\",\"cust_id\":\"cus_bench_" + promoter
                + "\",\"email\":\"promoter" + promoter + "@example.org\",\"temp_password\":\"temp-password-" + promoter
                + "\",\"auth_token\":\"auth-token-of-promoter-" + promoter + "\"},\"campaign\":{\"id\":26127,\"name\":\"Partners\"}}";
    }

    static String commission(long id) {
        String unit = units.get(id);
        long promoter = promoterOf.get(id);
        return "{\"id\":" + id + ",\"status\":\"approved\",\"metadata\":{},\"is_self_referral\":false,\"commission_type\":\"sale\","
                + "\"sale_amount\":5000,\"event_id\":null,\"tier\":1,\"unit\":\"" + unit + "\",\"fraud_check\":\"no_suspicion\",\"amount\":"
                + (unit.equals("credits") ? 20 : 1) + ",\"is_paid\":false,\"is_split\":false,\"created_at\":\"" + created(id)
                + "\",\"status_updated_at\":\"" + created(id) + "\",\"promoter_campaign\":{\"id\":900" + promoter + ",\"campaign_id\":31,"
                + "\"promoter_id\":" + promoter + ",\"promoter\":{\"id\":" + promoter + ",\"email\":\"promoter" + promoter
                + "@example.org\",\"name\":\"Pat Promoter\"},\"campaign\":{\"id\":31,\"name\":\"Partners\",\"color\":null}},"
                + "\"referral\":null,\"reward\":{\"id\":" + (unit.equals("credits") ? 1 : 2) + ",\"name\":\"Reward\"},\"split_details\":null}";
    }

    static String reward(long id, String unit) {
        return "{\"id\":" + id + ",\"name\":\"Reward " + id + "\",\"is_promoter_reward\":true,\"promoter_reward_type\":\"sale\","
                + "\"coupon\":null,\"editable\":true,\"hide_reward\":false,\"provider_coupon_id\":null,\"duration\":null,"
                + "\"duration_in_months\":null,\"max_redemptions\":null,\"new_customers_only\":false,\"provider\":\"stripe\","
                + "\"tier_reward_mode\":null,\"tier_level\":null,\"schemas\":[{\"unit\":\"" + unit + "\",\"amount\":10,\"flat_amount\":true,\"rules\":[]}]}";
    }

    static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                query.putIfAbsent(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    static void send(HttpExchange exchange, int status, String body, String link) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (link != null) {
            exchange.getResponseHeaders().set("Link", link);
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
