import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's Stripe: the calls a trial-extension grant makes, each answered after a fixed delay
 * (300 ms by default), for any customer, whose one active monthly subscription is sub_for_{customer}:
 * GET /v1/customers/{id} (with that subscription embedded when expand[]=subscriptions asks for it, as
 * Stripe does), GET /v1/subscriptions?customer=... and POST /v1/subscriptions/{id}.
 * Run: java bench/tools/StripeStandIn.java PORT DELAY_MS
 */
public class StripeStandIn {

    static final AtomicLong calls = new AtomicLong();

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        long delay = Long.parseLong(args.length > 1 ? args[1] : "300");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        // Blocking sleeps: one thread per call in flight (200 grants in flight need 200).
        server.setExecutor(Executors.newFixedThreadPool(512));
        server.createContext("/", exchange -> {
            try {
                exchange.getRequestBody().readAllBytes();
                calls.incrementAndGet();
                Thread.sleep(delay);
                answer(exchange);
            } catch (Exception e) {
                send(exchange, 500, "{\"error\":{\"type\":\"api_error\",\"message\":\"" + e + "\"}}");
            } finally {
                exchange.close();
            }
        });
        server.createContext("/bench/calls", exchange -> {
            send(exchange, 200, Long.toString(calls.get()));
            exchange.close();
        });
        server.start();
        System.out.println("stripe stand-in on 127.0.0.1:" + port + ", " + delay + " ms per call");
    }

    static void answer(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        long now = System.currentTimeMillis() / 1000;
        if (method.equals("GET") && path.startsWith("/v1/customers/")) {
            String id = path.substring("/v1/customers/".length());
            String embedded = expands(exchange, "subscriptions")
                    ? ",\"subscriptions\":{\"object\":\"list\",\"url\":\"/v1/customers/" + id + "/subscriptions\",\"has_more\":false,"
                            + "\"data\":[" + subscription("sub_for_" + id, id, now) + "]}"
                    : "";
            send(exchange, 200, "{\"id\":\"" + id + "\",\"object\":\"customer\",\"email\":null,\"metadata\":{}" + embedded + "}");
        } else if (method.equals("GET") && path.equals("/v1/subscriptions")) {
            String customer = query(exchange, "customer");
            send(exchange, 200, "{\"object\":\"list\",\"url\":\"/v1/subscriptions\",\"has_more\":false,\"data\":["
                    + subscription("sub_for_" + customer, customer, now) + "]}");
        } else if (method.equals("POST") && path.startsWith("/v1/subscriptions/")) {
            String id = path.substring("/v1/subscriptions/".length());
            String customer = id.startsWith("sub_for_") ? id.substring("sub_for_".length()) : "cus_unknown";
            send(exchange, 200, subscription(id, customer, now));
        } else {
            send(exchange, 404, "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"no such call: "
                    + method + " " + path + "\"}}");
        }
    }

    static String subscription(String id, String customer, long now) {
        return "{\"id\":\"" + id + "\",\"object\":\"subscription\",\"customer\":\"" + customer
                + "\",\"status\":\"active\",\"created\":" + (now - 86_400) + ",\"trial_end\":null,"
                + "\"items\":{\"object\":\"list\",\"url\":\"/v1/subscription_items\",\"has_more\":false,\"data\":["
                + "{\"id\":\"si_" + id + "\",\"object\":\"subscription_item\",\"quantity\":1,\"current_period_end\":"
                + (now + 86_400) + ",\"price\":{\"id\":\"price_bench\",\"object\":\"price\",\"currency\":\"usd\","
                + "\"unit_amount\":1000,\"recurring\":{\"interval\":\"month\",\"interval_count\":1,\"usage_type\":\"licensed\"}}}]}}";
    }

    /** Whether an expand[] parameter (stripe-java numbers them: expand[0]...) names the field. */
    static boolean expands(HttpExchange exchange, String field) {
        String q = exchange.getRequestURI().getRawQuery();
        if (q != null) {
            for (String pair : q.split("&")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2 && URLDecoder.decode(kv[0], StandardCharsets.UTF_8).matches("expand\\[\\d*]")
                        && URLDecoder.decode(kv[1], StandardCharsets.UTF_8).equals(field)) {
                    return true;
                }
            }
        }
        return false;
    }

    static String query(HttpExchange exchange, String name) {
        String q = exchange.getRequestURI().getRawQuery();
        if (q != null) {
            for (String pair : q.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals(name)) {
                    return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
        }
        return "";
    }

    static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Request-Id", "req_bench");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
