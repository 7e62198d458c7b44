package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.fulfilmentbridge.JmxProxyProbe;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 6: at least 1,000 generated hostile deliveries against a production bridge: never a 500,
 * never a side effect (no ledger entry, no payout, no Stripe update, no grant), every answer within
 * 10 s, each with the contract's JSON body.
 */
@Order(6)
class HostileInputIT extends ProductionSupport {

    private static final Set<Integer> ALLOWED = Set.of(202, 400, 401, 405, 413, 415);
    private static final Random RANDOM = new Random(20240601L);

    /** One hostile delivery. */
    record Case(String kind, String method, String query, Map<String, String> headers, byte[] body) {
    }

    private final List<Case> cases = new ArrayList<>();
    private final List<Long> ids = new ArrayList<>();
    /** cust_id values that should reach Stripe's customer search, escaped as the contract says. */
    private final Map<String, String> searched = new ConcurrentHashMap<>();

    // Bases that are valid deliveries whose legitimate outcome grants nothing.

    private ObjectNode base(int which) {
        long id = nextId();
        ids.add(id);
        String json = switch (which % 4) {
            case 0 -> delivery("credits.json", id, Map.of("unit", "gift_cards"));
            case 1 -> delivery("free-months.json", id, Map.of("promoter.cust_id", "cus_Unknown" + id));
            case 2 -> delivery("credits.json", id, Map.of("amount", 0));
            default -> delivery("cash.json", id, Map.of("amount", -5));
        };
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void add(String kind, byte[] body) {
        cases.add(new Case(kind, "POST", "token=" + SECRET, Map.of("Content-Type", "application/json"), body));
    }

    private void add(String kind, JsonNode body) {
        add(kind, bytes(body));
    }

    private static final List<String> RAW_VALUES = List.of(
            "null", "true", "false", "{}", "[]", "\"\"", "\"abc\"", "-1", "0", "1.5", "-0", "1e400", "-1e400",
            "99999999999999999999999999999", "-99999999999999999999999", "\"1e5\"", "\"0x10\"", "\" 12\"", "\"12 \"",
            "\"\\u0661\\u0662\"", "NaN", "Infinity", "\"NaN\"", "\"-Infinity\"", "1E+2", "[1,2]", "{\"$gt\":\"\"}",
            "\"9223372036854775808\"", "9223372036854775808", "-9223372036854775809", "0.00001", "\"1,5\"",
            "123456789012345678901234567890.123456789", "\"\\u0000\"");

    private static final List<String> HOSTILE_STRINGS = List.of(
            "'", "\\", "\\'", "'\\", "a' OR metadata['app_user_id']:'*", "x\\' OR 1:1 OR \\'",
            "'; DROP TABLE ledger_entries; --", "\"; DELETE FROM fulfilments; --", "1' OR '1'='1",
            "') UNION SELECT * FROM payout_outbox --", "${sys:user.home}", "${header.CamelSqlQuery}",
            "#{T(java.lang.Runtime).getRuntime().exec('id')}", "{{bridge.stripe.api-key}}", "$simple{env:PATH}",
            "../../etc/passwd", "%27%20OR%201%3D1", "\u0000null\u0000byte", "line\nbreak\r\nsplit",
            "<script>alert(1)</script>", "email@example.org' OR email:'*", "\u202Eevil\u202C", "😈".repeat(50),
            "a".repeat(4096), "b".repeat(4097), "\\\\\\\\'''''\"\"\"", "metadata['app_user_id']:'x'",
            "customer@example.org&limit=100&starting_after=cus_1", "&email=x@y.z", "cus_' OR 1=1 --");

    private static final List<String> FIELDS = List.of(
            "data.id", "data.unit", "data.amount", "data.promoter.id", "data.promoter", "data", "event", "event.type",
            "data.promoter.cust_id", "data.promoter.email", "event.id", "data.status", "data.promoter.earnings_balance");

    private static ObjectNode parentOf(ObjectNode root, String path) {
        String[] parts = path.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode object)) {
                return null;
            }
            node = object;
        }
        return node;
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /** The body with one field's value replaced by raw JSON text (which may be invalid JSON). */
    private byte[] withRaw(ObjectNode root, String path, String raw) {
        String marker = "\"@@RAW" + RANDOM.nextInt(1_000_000) + "@@\"";
        ObjectNode parent = parentOf(root, path);
        parent.put(leaf(path), "@@placeholder@@");
        String text = new String(bytes(root), StandardCharsets.UTF_8).replace("\"@@placeholder@@\"", marker);
        return text.replace(marker, raw).getBytes(StandardCharsets.UTF_8);
    }

    private void generate() {
        // 1. Wrong types, huge and negative numbers in every field the bridge reads (and some it ignores).
        int b = 0;
        for (String field : FIELDS) {
            for (String raw : RAW_VALUES) {
                // Amount variants never sit on a base whose valid amount would grant.
                int which = field.equals("data.amount") ? (b++ % 2 == 0 ? 0 : 1) : b++;
                add("type:" + field, withRaw(base(which), field, raw));
            }
        }
        // 2. Quotes, backslashes, SQL and expression languages in every string, cust_id and email aimed at Stripe's search.
        for (String value : HOSTILE_STRINGS) {
            ObjectNode custId = base(1);
            ((ObjectNode) custId.at("/data/promoter")).put("cust_id", value);
            // The bridge trims a cust_id; one longer than 255 characters (its column) or with a NUL is rejected.
            String kept = value.trim();
            if (!kept.startsWith("cus_") && kept.length() <= 255 && !kept.isEmpty() && kept.indexOf('\u0000') < 0) {
                searched.put(value, "metadata['app_user_id']:'" + kept.replace("\\", "\\\\").replace("'", "\\'") + "'");
            }
            add("hostile:cust_id", custId);
            ObjectNode email = base(1);
            ((ObjectNode) email.at("/data/promoter")).put("cust_id", "");
            ((ObjectNode) email.at("/data/promoter")).put("email", value);
            add("hostile:email", email);
            for (String field : List.of("data.unit", "event.type", "event.id", "data.status", "data.promoter.auth_token",
                    "data.promoter.profile.first_name", "data.campaign.name")) {
                ObjectNode root = base(field.equals("data.unit") ? 2 : b++);
                ObjectNode parent = parentOf(root, field);
                if (parent != null) {
                    parent.put(leaf(field), value);
                    add("hostile:" + field, root);
                }
            }
            ObjectNode asId = base(b++);
            ((ObjectNode) asId.get("data")).put("id", value);
            add("hostile:data.id", asId);
            ObjectNode asAmount = base(0);
            ((ObjectNode) asAmount.get("data")).put("amount", value);
            add("hostile:data.amount", asAmount);
        }
        // 3. Deep nesting: in an ignored field, in the promoter, as the whole body.
        for (int depth : new int[] {30, 31, 32, 33, 34, 64, 100, 500, 1000, 5000, 20000}) {
            for (String open : List.of("[", "{\"a\":")) {
                String close = open.equals("[") ? "]" : "}";
                String nested = open.repeat(depth) + "1" + close.repeat(depth);
                add("nesting:profile:" + depth, withRaw(base(b++), "data.promoter.profile", nested));
                add("nesting:campaign:" + depth, withRaw(base(b++), "data.campaign", nested));
                add("nesting:body:" + depth, nested.getBytes(StandardCharsets.UTF_8));
                add("nesting:unclosed:" + depth, open.repeat(depth).getBytes(StandardCharsets.UTF_8));
            }
        }
        // 4. Invalid UTF-8 in strings and between tokens.
        byte[][] invalid = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xFE, (byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
                {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xBF}};
        for (byte[] bad : invalid) {
            for (String field : List.of("data.promoter.cust_id", "data.promoter.email", "data.unit", "event.type", "data.status",
                    "data.promoter.profile.first_name")) {
                ObjectNode root = base(field.equals("data.unit") ? 2 : 1);
                parentOf(root, field).put(leaf(field), "x@@BAD@@y");
                add("utf8:" + field, splice(bytes(root), "@@BAD@@", bad));
            }
            for (int i = 0; i < 4; i++) {
                byte[] body = bytes(base(b++));
                int at = RANDOM.nextInt(body.length);
                byte[] broken = new byte[body.length + bad.length];
                System.arraycopy(body, 0, broken, 0, at);
                System.arraycopy(bad, 0, broken, at, bad.length);
                System.arraycopy(body, at, broken, at + bad.length, body.length - at);
                add("utf8:random", broken);
            }
        }
        // 5. Sizes: at and over 64 KiB, 1 MB, 10 MB (with and without the secret).
        for (int size : new int[] {65_000, 65_536, 65_537, 70_000, 1 << 20, 10 << 20, 10 << 20, 10 << 20}) {
            ObjectNode root = base(b++);
            ((ObjectNode) root.at("/data/promoter/profile")).put("bio", "");
            byte[] body = bytes(root);
            int pad = Math.max(0, size - body.length);
            ((ObjectNode) root.at("/data/promoter/profile")).put("bio", "x".repeat(pad));
            add("size:" + size, bytes(root));
        }
        byte[] tenMb = new byte[10 << 20];
        Arrays.fill(tenMb, (byte) '[');
        add("size:10MB-of-brackets", tenMb);
        cases.add(new Case("size:10MB-no-secret", "POST", null, Map.of("Content-Type", "application/json"), tenMb));
        // 6. Inbound headers named like Camel's own, in mixed case, on deliveries that grant nothing.
        List<String> camelHeaders = List.of("CamelSqlQuery", "CamelJmsDestinationName", "CamelHttpResponseCode", "CamelHttpUri",
                "CamelHttpPath", "CamelHttpMethod", "CamelSqlUpdateCount", "CamelJmsDestination", "CamelHttpQuery",
                "CamelBeanMethodName", "CamelSqlRetrieveGeneratedKeys", "_AMQ_DUPL_ID", "JMSXGroupID", "CamelExceptionCaught",
                "CamelSqlGeneratedKeysRowCount", "CamelHttpResponseText", "CamelRedeliveryCounter", "CamelFileName");
        List<String> headerValues = List.of("UPDATE fulfilments SET state = 'GRANTED'", "DELETE FROM ledger_entries", "payouts",
                "DLQ", "200", "500", "INSERT INTO payout_outbox VALUES (1, 1, 'x', CURRENT_TIMESTAMP)", "http://127.0.0.1:1/");
        for (String header : camelHeaders) {
            for (int variant = 0; variant < 4; variant++) {
                String name = switch (variant) {
                    case 0 -> header;
                    case 1 -> header.toLowerCase(Locale.ROOT);
                    case 2 -> header.toUpperCase(Locale.ROOT);
                    default -> mixedCase(header);
                };
                for (int v = 0; v < 2; v++) {
                    String value = headerValues.get(RANDOM.nextInt(headerValues.size()));
                    cases.add(new Case("header:" + header, "POST", "token=" + SECRET,
                            Map.of("Content-Type", "application/json", name, value), bytes(base(b++))));
                }
            }
        }
        // 7. Secrets, methods and content types around deliveries that would grant: refused, nothing granted.
        List<String> badTokens = List.of("", "token=", "token=" + SECRET.toUpperCase(Locale.ROOT), "token=" + SECRET + "x",
                "token=" + SECRET.substring(1), "token=%00" + SECRET, "tok=" + SECRET, "token=" + SECRET + "%0A", "token%5B%5D=" + SECRET,
                "token=" + STRIPE_KEY);
        for (String query : badTokens) {
            long id = nextId();
            ids.add(id);
            cases.add(new Case("secret", "POST", query.isEmpty() ? null : query, Map.of("Content-Type", "application/json"),
                    delivery("credits.json", id, Map.of()).getBytes(StandardCharsets.UTF_8)));
            long id2 = nextId();
            ids.add(id2);
            String basic = "Basic " + Base64.getEncoder().encodeToString(("firstpromoter:" + query).getBytes(StandardCharsets.UTF_8));
            cases.add(new Case("secret:basic", "POST", null, Map.of("Content-Type", "application/json", "Authorization", basic),
                    delivery("cash.json", id2, Map.of()).getBytes(StandardCharsets.UTF_8)));
        }
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")) {
            long id = nextId();
            ids.add(id);
            cases.add(new Case("method:" + method, method, "token=" + SECRET, Map.of("Content-Type", "application/json"),
                    delivery("credits.json", id, Map.of()).getBytes(StandardCharsets.UTF_8)));
        }
        for (String type : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/jsonx", "text/json", "application/json-patch", "*/*", "application", "json")) {
            long id = nextId();
            ids.add(id);
            cases.add(new Case("content-type:" + type, "POST", "token=" + SECRET, Map.of("Content-Type", type),
                    delivery("credits.json", id, Map.of()).getBytes(StandardCharsets.UTF_8)));
        }
        // 8. Random damage to valid bodies (truncation, flipped bytes, duplicated keys) until there are 1,100 cases.
        while (cases.size() < 1100) {
            byte[] body = bytes(base(b++));
            switch (RANDOM.nextInt(3)) {
                case 0 -> add("random:truncated", Arrays.copyOf(body, RANDOM.nextInt(body.length)));
                case 1 -> {
                    for (int i = 0; i < 1 + RANDOM.nextInt(4); i++) {
                        body[RANDOM.nextInt(body.length)] = (byte) RANDOM.nextInt(256);
                    }
                    add("random:flipped", body);
                }
                default -> {
                    String text = new String(body, StandardCharsets.UTF_8);
                    add("random:duplicate-key", text.replaceFirst("\"unit\":", "\"unit\":\"credits\",\"unit\":")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
        }
    }

    private static String mixedCase(String name) {
        StringBuilder out = new StringBuilder();
        for (char c : name.toCharArray()) {
            out.append(RANDOM.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
        }
        return out.toString();
    }

    private static byte[] splice(byte[] body, String marker, byte[] insert) {
        String text = new String(body, StandardCharsets.UTF_8);
        int at = text.indexOf(marker);
        byte[] before = text.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] after = text.substring(at + marker.length()).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before);
        out.writeBytes(insert);
        out.writeBytes(after);
        return out.toByteArray();
    }

    @Test
    void aThousandHostileDeliveriesAreNeverA500NeverASideEffectAndAlwaysInTime() throws Exception {
        BridgeProcess bridge = Bridges.a();
        generate();
        drainPayouts(Duration.ofMillis(500));
        int ledgerBefore = jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class);
        int postsBefore = stripePosts().values().stream().mapToInt(List::size).sum();
        long started = System.nanoTime();

        Map<Integer, AtomicInteger> byStatus = new TreeMap<>();
        Map<String, AtomicInteger> byKind = new TreeMap<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger slowest = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        // Every fourth case also goes to the webhooks v2 endpoint, which makes the same checks before its 202 ignored.
        List<Map.Entry<Case, Boolean>> sends = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            sends.add(Map.entry(cases.get(i), false));
            if (i % 4 == 0) {
                sends.add(Map.entry(cases.get(i), true));
            }
        }
        for (Map.Entry<Case, Boolean> send : sends) {
            Case c = send.getKey();
            boolean toEvents = send.getValue();
            pool.submit(() -> {
                HttpRequest.Builder request = HttpRequest.newBuilder(toEvents ? bridge.events(c.query()) : bridge.webhook(c.query()))
                        .method(c.method(), HttpRequest.BodyPublishers.ofByteArray(c.body()));
                c.headers().forEach(request::header);
                Answer answer = send(bridge, request);
                slowest.accumulateAndGet((int) answer.millis(), Math::max);
                synchronized (byStatus) {
                    byStatus.computeIfAbsent(answer.status(), s -> new AtomicInteger()).incrementAndGet();
                    byKind.computeIfAbsent((toEvents ? "events " : "") + c.kind().split(":")[0], s -> new AtomicInteger()).incrementAndGet();
                }
                // TRACE is refused by Tomcat itself (405, no body) before any filter: the one answer
                // without the contract's JSON body (docs/design.md, choices).
                boolean trace = c.method().equals("TRACE") && answer.status() == 405;
                if (!answer.answered() || !ALLOWED.contains(answer.status()) || answer.millis() >= 10_000
                        || (answer.outcome() == null && !trace)
                        || (answer.status() == 202 && !Set.of("parked", "ignored").contains(answer.outcome()))) {
                    failures.add((toEvents ? "events " : "") + c.kind() + " -> " + answer);
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.MINUTES)).isTrue();
        long elapsed = (System.nanoTime() - started) / 1_000_000;

        // Nothing happened anywhere: no entry, no grant, no payout, no Stripe update; the tables are all there.
        BridgeProcess.sleep(1500);
        List<Payout> payouts = drainPayouts(Duration.ofSeconds(2));
        int ledgerAfter = jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class);
        int postsAfter = stripePosts().values().stream().mapToInt(List::size).sum();
        String in = String.join(",", ids.stream().map(String::valueOf).toList());
        int granted = jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE fulfilment_id IN (" + in
                + ") AND state NOT IN ('PARKED')", Integer.class);
        int outbox = jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox", Integer.class);
        int stripeGrants = jdbc.queryForObject("SELECT COUNT(*) FROM billing_grants WHERE billing_system = 'stripe' AND fulfilment_id IN (" + in + ")", Integer.class);

        // The customer search got each hostile cust_id escaped as the contract says, as one query value.
        // All searches so far: no earlier scenario searches for these hostile values, and skipping the
        // earlier ones by count is wrong when a slow earlier request is journalled late.
        List<String> queries = searchRequests();
        List<String> missing = searched.entrySet().stream().filter(e -> !queries.contains(e.getValue()))
                .map(e -> e.getKey() + " => " + e.getValue()).toList();

        summary(String.format("scenario 6 (hostile input): cases sent %d %s, answers by status %s, 500s %d, side effects: "
                        + "ledger entries %d, grants %d, payouts %d, outbox rows %d, Stripe updates %d, stored Stripe grants %d; "
                        + "Stripe searches checked for escaping %d, slowest answer %d ms, elapsed %d ms",
                sends.size(), byKind, byStatus, byStatus.getOrDefault(500, new AtomicInteger()).get(), ledgerAfter - ledgerBefore,
                granted, payouts.size(), outbox, postsAfter - postsBefore, stripeGrants, searched.size() - missing.size(),
                slowest.get(), elapsed));
        assertThat(cases.size()).isGreaterThanOrEqualTo(1000);
        assertThat(failures).as("answers outside the contract").isEmpty();
        assertThat(ledgerAfter).isEqualTo(ledgerBefore);
        assertThat(postsAfter).isEqualTo(postsBefore);
        assertThat(payouts).isEmpty();
        assertThat(outbox).isZero();
        assertThat(granted).isZero();
        assertThat(stripeGrants).isZero();
        assertThat(missing).as("cust_id searches not escaped as the contract says").isEmpty();
    }

    /**
     * The broker side: payout results carrying message properties named like Camel's headers, in any
     * letter case, with SQL and a queue name as values. Each changes only its own fulfilment; nothing
     * reaches the payout queue; a stray result still lands on the dead-letter queue.
     */
    @Test
    void payoutResultsWithCamelNamedPropertiesChangeNothingElse() throws Exception {
        BridgeProcess bridge = Bridges.a();
        long own = nextId();
        long bystander = nextId();
        for (long id : List.of(own, bystander)) {
            assertThat(deliver(bridge, delivery("cash.json", id, Map.of("amount", 1500))).outcome()).isEqualTo("queued");
        }
        awaitOutboxEmpty(List.of(own, bystander), Duration.ofSeconds(20));
        drainPayouts(Duration.ofMillis(500));
        int ledgerBefore = jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class);
        long unknown = nextId();
        String stray = "{\"fulfilment_id\":" + unknown + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_stray\"}";

        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(ProductionEnv.brokerUrl(),
                ProductionEnv.brokerUser(), ProductionEnv.brokerPassword());
        try (factory; Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer results = session.createProducer(session.createQueue("payouts.results"));
            String paid = "{\"fulfilment_id\":" + own + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_own\"}";
            results.send(withProperties(session.createTextMessage(paid), Map.of(
                    "CAMELSqlQuery", "UPDATE fulfilments SET state = 'PAID', payout_reference = 'forged'",
                    "CAMELJmsDestinationName", "payouts")));
            results.send(withProperties(session.createTextMessage(paid), Map.of("camelsqlquery", "DELETE FROM ledger_entries")));
            results.send(withProperties(session.createTextMessage(stray), Map.of(
                    "CAMELJmsDestinationName", "payouts", "camelJmsDestinationName", "payouts")));

            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            List<String> deadLetters = new ArrayList<>();
            try (MessageConsumer dlq = session.createConsumer(session.createQueue("DLQ"))) {
                while (!deadLetters.contains(stray) && System.nanoTime() < end) {
                    Message message = dlq.receive(500);
                    if (message instanceof TextMessage text) {
                        deadLetters.add(text.getText());
                    }
                }
            }
            assertThat(deadLetters).as("the stray result on the dead-letter queue").contains(stray);
        }
        assertThat(state(own)).isEqualTo("PAID");
        assertThat(jdbc.queryForObject("SELECT payout_reference FROM fulfilments WHERE fulfilment_id = ?", String.class, own))
                .isEqualTo("po_own");
        assertThat(state(bystander)).isEqualTo("QUEUED");
        assertThat(state(unknown)).isNull();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class)).isEqualTo(ledgerBefore);
        assertThat(drainPayouts(Duration.ofSeconds(1))).isEmpty();
        summary("scenario 6 (hostile input, broker): payout results with Camel-named properties changed only their own fulfilment; "
                + "nothing reached the payout queue; the stray one was dead-lettered");
    }

    /**
     * The operators' console on the real JVM's management port: no login, no console; with the login,
     * Jolokia refuses every operation that would send, run SQL, stop a route or write, by POST or GET,
     * through the JSR-160 proxy or not, whatever Camel-named headers the requests carry; reads work.
     * Nothing reaches the database or the payout queue.
     */
    @Test
    void theConsoleRefusesWhatWouldChangeAnything() throws Exception {
        BridgeProcess bridge = Bridges.a();
        long started = System.nanoTime();
        long parked = nextId();
        assertThat(deliver(bridge, delivery("credits.json", parked, Map.of("unit", "gift_cards"))).status()).isEqualTo(202);
        assertThat(state(parked)).isEqualTo("PARKED");
        drainPayouts(Duration.ofMillis(500));
        int fulfilmentsBefore = jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments", Integer.class);
        int ledgerBefore = jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class);
        int outboxBefore = jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox", Integer.class);

        // No login or a wrong one: 401, for Jolokia and Hawtio alike, by GET and POST.
        String wrong = basic("operator", OPERATOR_PASSWORD + "x");
        int unauthorised = 0;
        for (String path : List.of("/actuator/jolokia", "/actuator/jolokia/read/java.lang:type=Runtime/Uptime", "/actuator/hawtio/",
                "/actuator/hawtio/jolokia")) {
            for (String login : new String[] {null, wrong, basic("operator", ""), basic("operator", STRIPE_KEY)}) {
                HttpRequest.Builder get = HttpRequest.newBuilder(bridge.management(path)).GET();
                // A matching (forged) CSRF cookie and header: what is refused is the login, not the token.
                HttpRequest.Builder post = HttpRequest.newBuilder(bridge.management(path)).header("Content-Type", "application/json")
                        .header("Cookie", "XSRF-TOKEN=forged").header("X-XSRF-TOKEN", "forged")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"version\"}"));
                for (HttpRequest.Builder request : List.of(get, post)) {
                    // As a script asks (a browser is sent to the login page instead).
                    request.header("Accept", "application/json").header("X-Requested-With", "XMLHttpRequest");
                    if (login != null) {
                        request.header("Authorization", login);
                    }
                    HttpResponse<String> answer = console(request);
                    assertThat(answer.statusCode()).as(path + " " + answer.body()).isEqualTo(401);
                    assertThat(answer.body()).doesNotContain("\"value\"");
                    unauthorised++;
                }
            }
        }

        // With the login.
        String login = basic("operator", OPERATOR_PASSWORD);
        String context = JSON.readTree(operatorPost(bridge, login, Map.of("type", "search", "mbean", "org.apache.camel:type=context,*"), Map.of())
                .body()).path("value").path(0).asText();
        String route = JSON.readTree(operatorPost(bridge, login, Map.of("type", "search", "mbean",
                "org.apache.camel:type=routes,name=\"free-months\",*"), Map.of()).body()).path("value").path(0).asText();
        assertThat(context).startsWith("org.apache.camel:");
        assertThat(route).startsWith("org.apache.camel:");

        String marker = "forged-" + nextId();
        String forgedPayout = "{\"fulfilment_id\":" + nextId() + ",\"attempt\":1,\"note\":\"" + marker + "\"}";
        List<Object> attacks = List.of(
                exec(context, "sendStringBody(java.lang.String,java.lang.String)", "jms:queue:payouts", forgedPayout),
                exec(context, "sendStringBody", "jms:queue:payouts", forgedPayout),
                exec(context, "sendBody(java.lang.String,java.lang.Object)", "jms:queue:payouts", forgedPayout),
                exec(context, "sendStringBody(java.lang.String,java.lang.String)",
                        "sql:UPDATE fulfilments SET state = 'GRANTED' WHERE fulfilment_id = " + parked, ""),
                exec(context, "sendStringBody(java.lang.String,java.lang.String)", "sql:DELETE FROM ledger_entries", ""),
                exec(route, "stop()"), exec(route, "stop"), exec(route, "suspend()"), exec(route, "remove()"),
                Map.of("type", "write", "mbean", route, "attribute", "Tracing", "value", true),
                Map.of("type", "write", "mbean", "java.lang:type=Memory", "attribute", "Verbose", "value", true));
        // Each alone, in one bulk request, and each again under a flood of Camel-named headers in mixed case.
        List<Map<String, String>> floods = List.of(Map.of(),
                Map.of("CamelSqlQuery", "UPDATE fulfilments SET state = 'GRANTED' WHERE fulfilment_id = " + parked,
                        "camelJmsDestinationName", "payouts", "CAMELHTTPMETHOD", "GET", "CamelHttpUri", "http://127.0.0.1:1/"),
                Map.of("cAMELsQLqUERY", "DELETE FROM ledger_entries", "CamelJmsDestination", "queue://payouts",
                        "camelbeanmethodname", "sendStringBody", "X-HTTP-Method-Override", "GET"));
        int refused = 0;
        for (Map<String, String> flood : floods) {
            for (Object attack : attacks) {
                assertRefused(operatorPost(bridge, login, attack, flood));
                refused++;
            }
            HttpResponse<String> bulk = operatorPost(bridge, login, attacks, flood);
            assertThat(bulk.statusCode()).as(bulk.body()).isEqualTo(200);
            assertThat(JSON.readTree(bulk.body())).hasSize(attacks.size())
                    .allSatisfy(answer -> assertThat(answer.path("status").asInt()).as(answer.toString()).isNotEqualTo(200));
            refused += attacks.size();
        }
        // By GET, with or without the token: no operation runs and nothing is written.
        String token = csrfToken(bridge, login);
        for (String get : List.of(
                "/actuator/jolokia/exec/" + path(route) + "/stop()",
                "/actuator/jolokia/EXEC/" + path(route) + "/stop",
                "/actuator/jolokia/exec/" + path(context) + "/sendStringBody/jms:queue:payouts/" + marker,
                "/actuator/jolokia/?p=" + URLEncoder.encode("/exec/" + route + "/stop()", StandardCharsets.UTF_8),
                "/actuator/hawtio/jolokia/exec/" + path(route) + "/stop()",
                "/actuator/jolokia/write/" + path(route) + "/Tracing/true")) {
            for (Map<String, String> flood : floods) {
                HttpRequest.Builder request = HttpRequest.newBuilder(bridge.management(get)).header("Authorization", login)
                        .header("Cookie", "XSRF-TOKEN=" + token).header("X-XSRF-TOKEN", token).GET();
                flood.forEach(request::header);
                assertRefused(console(request));
                refused++;
            }
        }

        // The JSR-160 proxy: another JVM's JMX port (here the test's own, one MBean the bridge lacks) is not reached.
        try (JmxProxyProbe probe = new JmxProxyProbe()) {
            Map<String, String> target = Map.of("url", probe.url());
            for (Object proxied : List.of(
                    Map.of("type", "read", "mbean", probe.name().getCanonicalName(), "attribute", "Secret", "target", target),
                    Map.of("type", "exec", "mbean", probe.name().getCanonicalName(), "operation", "touch", "arguments", List.of(), "target", target))) {
                for (Map<String, String> flood : floods) {
                    HttpResponse<String> answer = operatorPost(bridge, login, proxied, flood);
                    assertThat(answer.body()).doesNotContain(JmxProxyProbe.READ_VALUE).doesNotContain("touched");
                    assertRefused(answer);
                    refused++;
                }
            }
            assertThat(probe.touched()).as("the probe's operation ran through the proxy").isFalse();
        }

        // Reads work, and show the route still started and untraced.
        for (Map<String, String> flood : floods) {
            JsonNode read = assertAnswered(operatorPost(bridge, login, Map.of("type", "read", "mbean", route), flood));
            assertThat(read.path("RouteId").asText()).isEqualTo("free-months");
            assertThat(read.path("State").asText()).isEqualTo("Started");
            assertThat(read.path("Tracing").asBoolean()).isFalse();
        }
        assertThat(assertAnswered(console(HttpRequest.newBuilder(bridge.management("/actuator/jolokia/read/" + path(route) + "/State"))
                .header("Authorization", login).GET())).asText()).isEqualTo("Started");
        assertThat(assertAnswered(operatorPost(bridge, login, Map.of("type", "read", "mbean", "java.lang:type=Memory", "attribute", "Verbose"),
                Map.of())).asBoolean()).isFalse();
        // What the console shows of the routes, kept for the secret scan (placeholders such as the Stripe key's).
        assertAnswered(operatorPost(bridge, login, exec(context, "dumpRoutesAsXml()"), Map.of()));
        operatorPost(bridge, login, Map.of("type", "read", "mbean", "java.lang:type=Runtime"), Map.of());

        BridgeProcess.sleep(1000);
        List<Payout> payouts = drainPayouts(Duration.ofSeconds(1));
        assertThat(payouts).as("messages on the payout queue").isEmpty();
        assertThat(state(parked)).isEqualTo("PARKED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments", Integer.class)).isEqualTo(fulfilmentsBefore);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class)).isEqualTo(ledgerBefore);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox", Integer.class)).isEqualTo(outboxBefore);
        summary(String.format("scenario 6 (hostile input, console): %d requests without or with a wrong login answered 401; "
                        + "%d send/SQL/stop/write/GET/JSR-160 proxy requests with the login refused (%d header floods); reads answered; "
                        + "route free-months still Started; payouts on the queue %d, ledger entries %d, fulfilments %d; elapsed %d ms",
                unauthorised, refused, floods.size() - 1, payouts.size(),
                jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class) - ledgerBefore,
                jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments", Integer.class) - fulfilmentsBefore,
                (System.nanoTime() - started) / 1_000_000));
    }

    private static final java.net.http.HttpClient CONSOLE = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private static HttpResponse<String> console(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> answer = CONSOLE.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        seen(answer);
        return answer;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static final Map<String, String> CSRF_TOKENS = new ConcurrentHashMap<>();

    /** The console's CSRF token, as Hawtio's client gets it: the XSRF-TOKEN cookie of its first page (once per bridge). */
    private static String csrfToken(BridgeProcess bridge, String login) throws Exception {
        String known = CSRF_TOKENS.get(bridge.name());
        if (known != null) {
            return known;
        }
        HttpResponse<String> page = console(HttpRequest.newBuilder(bridge.management("/actuator/hawtio/")).header("Authorization", login).GET());
        assertThat(page.statusCode()).isEqualTo(200);
        String token = page.headers().allValues("Set-Cookie").stream()
                .filter(cookie -> cookie.startsWith("XSRF-TOKEN="))
                .map(cookie -> cookie.substring("XSRF-TOKEN=".length(), cookie.indexOf(';')))
                .findFirst().orElseThrow();
        CSRF_TOKENS.put(bridge.name(), token);
        return token;
    }

    /** A Jolokia request as the logged-in console sends it (POST, CSRF token), with extra headers. */
    private static HttpResponse<String> operatorPost(BridgeProcess bridge, String login, Object request, Map<String, String> headers)
            throws Exception {
        String token = csrfToken(bridge, login);
        HttpRequest.Builder post = HttpRequest.newBuilder(bridge.management("/actuator/jolokia"))
                .header("Authorization", login)
                .header("Cookie", "XSRF-TOKEN=" + token)
                .header("X-XSRF-TOKEN", token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)));
        headers.forEach(post::header);
        return console(post);
    }

    private static Map<String, Object> exec(String mbean, String operation, Object... arguments) {
        return Map.of("type", "exec", "mbean", mbean, "operation", operation, "arguments", List.of(arguments));
    }

    private static String path(String mbean) {
        return URLEncoder.encode(mbean, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Jolokia answers each request with its own status in the body. */
    private static void assertRefused(HttpResponse<String> answer) throws IOException {
        assertThat(answer.statusCode()).as(answer.body()).isIn(200, 403);
        if (answer.statusCode() == 200) {
            JsonNode body = JSON.readTree(answer.body());
            assertThat(body.path("status").asInt()).as(answer.body()).isNotEqualTo(200);
            assertThat(body.has("value")).as(answer.body()).isFalse();
        }
    }

    private static JsonNode assertAnswered(HttpResponse<String> answer) throws IOException {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.path("status").asInt()).as(answer.body()).isEqualTo(200);
        return body.path("value");
    }

    private static Message withProperties(Message message, Map<String, String> properties) throws JMSException {
        for (Map.Entry<String, String> property : properties.entrySet()) {
            message.setStringProperty(property.getKey(), property.getValue());
        }
        return message;
    }

    private static List<String> searchRequests() {
        List<String> queries = new ArrayList<>();
        List<ServeEvent> events = new ArrayList<>(STRIPE.server().getAllServeEvents());
        java.util.Collections.reverse(events);
        for (ServeEvent event : events) {
            String url = event.getRequest().getUrl();
            if (url.startsWith("/v1/customers/search")) {
                for (String pair : url.substring(url.indexOf('?') + 1).split("&")) {
                    if (pair.startsWith("query=")) {
                        queries.add(URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return queries;
    }
}
