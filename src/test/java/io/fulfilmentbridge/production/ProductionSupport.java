package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.StripeStandIn.customer;
import static io.fulfilmentbridge.StripeStandIn.item;
import static io.fulfilmentbridge.StripeStandIn.list;
import static io.fulfilmentbridge.StripeStandIn.searchResult;
import static io.fulfilmentbridge.StripeStandIn.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.StripeStandIn;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/** What every production scenario needs: deliveries, the Stripe stand-in, the database and the queue. */
abstract class ProductionSupport {

    static final String SECRET = "whsec-it-" + randomHex(12);
    static final String STRIPE_KEY = "sk_test_it_" + randomHex(12);
    static final String OPERATOR_PASSWORD = "operator-it-" + randomHex(12);
    static final String FIRSTPROMOTER_V1_KEY = "fpv1-it-" + randomHex(12);
    static final String CHARGEBEE_KEY = "cb_it_key_" + randomHex(12);
    static final String RECURLY_KEY = "recurly_it_key_" + randomHex(12);
    static final String PADDLE_KEY = "pdl_sdbx_apikey_it_" + randomHex(12);
    static final StripeStandIn STRIPE = startStripe();
    /**
     * FirstPromoter's API v1: its list of pending payouts (ReconciliationIT's lost rewards, paged by a Link
     * header) and its payout update, which answers every other payout the bridges close completed.
     */
    static final FirstPromoterStandIn FIRSTPROMOTER = startFirstPromoter();
    /** The bridges' bridge.reconciliation.since: earlier than any reward the suite lists, so the grace (30 min) is passed. */
    static final Instant RECONCILIATION_SINCE = Instant.now().minus(Duration.ofHours(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    static final int V1_PAGE_SIZE = 25;
    static final ObjectMapper JSON = new ObjectMapper();
    /** Every promoter auth_token and temp_password a delivery carried, for the log scan. */
    static final Set<String> PROMOTER_SECRETS = ConcurrentHashMap.newKeySet();
    /** Every answer body (and header) a bridge gave the suite, for the secret scan at the end. */
    static final java.util.Queue<String> ANSWERS_SEEN = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The subscriptions' current period end: a grant of N months targets this plus N months. */
    static final long PERIOD_END = Instant.now().plus(Duration.ofDays(20)).getEpochSecond();

    private static final AtomicLong IDS = new AtomicLong(ThreadLocalRandom.current().nextLong(1_000_000_000L, 9_000_000_000L));
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    protected static final JdbcTemplate jdbc = new JdbcTemplate(checksPool());

    /**
     * The suite's own reads (hundreds per scenario: a row count or state per fulfilment) share a few
     * pooled connections instead of opening one each. A connection idle across a PostgreSQL restart is
     * checked before it is lent again.
     */
    private static HikariDataSource checksPool() {
        HikariConfig config = new HikariConfig();
        config.setPoolName("production-suite-checks");
        config.setJdbcUrl(ProductionEnv.jdbcUrl());
        config.setUsername(ProductionEnv.jdbcUser());
        config.setPassword(ProductionEnv.jdbcPassword());
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(10_000);
        config.setInitializationFailTimeout(-1);
        return new HikariDataSource(config);
    }

    private static StripeStandIn startStripe() {
        StripeStandIn stripe = new StripeStandIn(0);
        // Anything not stubbed for a scenario: as Stripe answers about customers it does not know.
        stripe.server().stubFor(get(urlPathMatching("/v1/customers/.*")).atPriority(10).willReturn(aResponse()
                .withStatus(404).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\",\"message\":\"No such customer\"}}")));
        stripe.server().stubFor(get(urlPathEqualTo("/v1/customers/search")).atPriority(9)
                .willReturn(okJson(searchResult(List.of()))));
        stripe.server().stubFor(get(urlPathEqualTo("/v1/customers")).atPriority(10)
                .willReturn(okJson(list("/v1/customers", List.of()))));
        return stripe;
    }

    private static FirstPromoterStandIn startFirstPromoter() {
        FirstPromoterStandIn firstPromoter = new FirstPromoterStandIn(0);
        firstPromoter.serveLists(FirstPromoterStandIn.V1Paging.LINK_HEADER, V1_PAGE_SIZE, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        firstPromoter.completeUnknownPayouts();
        return firstPromoter;
    }

    static long nextId() {
        return IDS.incrementAndGet();
    }

    static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    // Deliveries

    static String sample(String name) {
        try (var in = ProductionSupport.class.getResourceAsStream("/payloads/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A sample with its id replaced, data fields set ("promoter.x" for the promoter's; null removes
     * one), and a fresh auth_token and temp_password that the log scan looks for.
     */
    static String delivery(String sample, long id, Map<String, Object> data) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample(sample));
            ObjectNode d = (ObjectNode) root.get("data");
            d.put("id", id);
            ObjectNode promoter = (ObjectNode) d.get("promoter");
            String token = "at" + randomHex(14);
            String password = "tp" + randomHex(8);
            PROMOTER_SECRETS.add(token);
            PROMOTER_SECRETS.add(password);
            promoter.put("auth_token", token);
            promoter.put("temp_password", password);
            data.forEach((field, value) -> {
                ObjectNode target = field.startsWith("promoter.") ? promoter : d;
                String name = field.startsWith("promoter.") ? field.substring(9) : field;
                if (value == null) {
                    target.remove(name);
                } else {
                    target.set(name, JSON.valueToTree(value));
                }
            });
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An answer the contract allows under duplicates and crashes: one came, 200, 202 or 503, within 10 s. */
    static void assertInContract(Answer answer) {
        assertThat(answer.answered()).as(answer.failure()).isTrue();
        assertThat(answer.status()).as(answer.detail()).isIn(200, 202, 503);
        assertThat(answer.millis()).isLessThan(10_000);
    }

    /** n fulfilments with fresh ids, by kind in turn (credits, cash, free months), and their deliveries. */
    record MixedBatch(Map<Long, Integer> kinds, Map<Long, String> bodies) {
    }

    static MixedBatch mixedBatch(int n) {
        Map<Long, Integer> kinds = new java.util.LinkedHashMap<>();
        Map<Long, String> bodies = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            long id = nextId();
            kinds.put(id, i % 3);
            bodies.put(id, mixed(id, i % 3));
        }
        return new MixedBatch(kinds, bodies);
    }

    /** A mixed delivery by kind: 0 credits, 1 cash, 2 free months (stubbed in Stripe). */
    static String mixed(long id, int kind) {
        return switch (kind) {
            case 0 -> delivery("credits.json", id, Map.of("promoter.cust_id", "it-" + id, "amount", "12.5"));
            case 1 -> delivery("cash.json", id, Map.of("amount", 1500));
            default -> {
                int months = 1 + (int) (id % 3);
                stubGrantable(id, months);
                yield delivery("free-months.json", id, Map.of("promoter.cust_id", customerId(id), "amount", months));
            }
        };
    }

    static String unitOf(int kind) {
        return switch (kind) {
            case 0 -> "credits";
            case 1 -> "cash";
            default -> "free_months";
        };
    }

    record Answer(int status, String outcome, String detail, long millis, String failure) {
        boolean answered() {
            return failure == null;
        }

        /** The fulfilment is settled: granted, or its payout queued. */
        boolean settled() {
            return status == 200 || (status == 202 && "queued".equals(outcome));
        }

        /** Settled by this delivery, not before it. */
        boolean appliedNow() {
            return settled() && detail != null && !detail.contains("before");
        }
    }

    static Answer deliver(BridgeProcess bridge, String body) {
        return send(bridge, HttpRequest.newBuilder(bridge.webhook("token=" + SECRET))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static Answer send(BridgeProcess bridge, HttpRequest.Builder request) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long millis = (System.nanoTime() - start) / 1_000_000;
            seen(response);
            String outcome = null;
            String detail = null;
            try {
                JsonNode json = JSON.readTree(response.body());
                outcome = json.path("outcome").asText(null);
                detail = json.path("detail").asText(null);
            } catch (IOException notJson) {
                detail = "not JSON: " + response.body();
            }
            return new Answer(response.statusCode(), outcome, detail, millis, null);
        } catch (IOException e) {
            return new Answer(-1, null, null, (System.nanoTime() - start) / 1_000_000, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kept for the secret scan: the answer's headers and body. */
    static void seen(HttpResponse<String> response) {
        // Not the request's URI: a delivery's carries the webhook secret by design.
        ANSWERS_SEEN.add(response.statusCode() + " " + response.headers().map() + "\n" + response.body());
    }

    // Stripe

    static String customerId(long id) {
        return "cus_P" + id;
    }

    static String subscriptionId(long id) {
        return "sub_P" + id;
    }

    static long target(int months) {
        return Instant.ofEpochSecond(PERIOD_END).atZone(ZoneOffset.UTC).plusMonths(months).toEpochSecond();
    }

    /**
     * A customer with one active monthly subscription that behaves like Stripe's: once an update is
     * accepted, reads show the new trial end and the grant's marker, so a grant whose answer was lost
     * reads as applied.
     */
    static void stubGrantable(long id, int months) {
        String cus = customerId(id);
        String sub = subscriptionId(id);
        String before = subscription(sub, cus, "active", PERIOD_END - 86_400 * 10, null,
                List.of(item("P" + id, 1500, 1, "usd", "month", 1, PERIOD_END)));
        String after = StripeStandIn.marked(subscription(sub, cus, "trialing", PERIOD_END - 86_400 * 10, target(months),
                List.of(item("P" + id, 1500, 1, "usd", "month", 1, PERIOD_END))), id);
        var server = STRIPE.server();
        server.stubFor(get(urlPathEqualTo("/v1/customers/" + cus)).willReturn(okJson(customer(cus))));
        server.stubFor(get(urlPathEqualTo("/v1/subscriptions")).withQueryParam("customer", equalTo(cus))
                .inScenario(sub).whenScenarioStateIs(STARTED).willReturn(okJson(list("/v1/subscriptions", List.of(before)))));
        server.stubFor(get(urlPathEqualTo("/v1/subscriptions")).withQueryParam("customer", equalTo(cus))
                .inScenario(sub).whenScenarioStateIs("granted").willReturn(okJson(list("/v1/subscriptions", List.of(after)))));
        server.stubFor(get(urlPathEqualTo("/v1/subscriptions/" + sub))
                .inScenario(sub).whenScenarioStateIs(STARTED).willReturn(okJson(before)));
        server.stubFor(get(urlPathEqualTo("/v1/subscriptions/" + sub))
                .inScenario(sub).whenScenarioStateIs("granted").willReturn(okJson(after)));
        server.stubFor(post(urlPathEqualTo("/v1/subscriptions/" + sub))
                .inScenario(sub).willSetStateTo("granted").willReturn(okJson(after)));
    }

    /** Stripe's POSTs by path, with the status each was answered. */
    static Map<String, List<ServeEvent>> stripePosts() {
        Map<String, List<ServeEvent>> posts = new HashMap<>();
        for (ServeEvent event : STRIPE.server().getAllServeEvents()) {
            if (event.getRequest().getMethod().getName().equals("POST")) {
                String path = event.getRequest().getUrl().split("\\?")[0];
                posts.computeIfAbsent(path, p -> new ArrayList<>()).add(event);
            }
        }
        return posts;
    }

    // Database

    static int ledgerEntries(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = ?", Integer.class, id);
    }

    static BigDecimal ledgerSum() {
        return jdbc.queryForObject("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries", BigDecimal.class);
    }

    /** Fulfilments whose entries do not make one balanced transaction of two. */
    static List<Long> unbalancedFulfilments() {
        return jdbc.queryForList("SELECT fulfilment_id FROM ledger_entries GROUP BY fulfilment_id "
                + "HAVING SUM(amount) <> 0 OR COUNT(*) <> 2", Long.class);
    }

    static String state(long id) {
        return jdbc.query("SELECT state FROM fulfilments WHERE fulfilment_id = ?", rs -> rs.next() ? rs.getString(1) : null, id);
    }

    static int outboxRows(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        String in = String.join(",", ids.stream().map(String::valueOf).toList());
        return jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox WHERE fulfilment_id IN (" + in + ")", Integer.class);
    }

    static void awaitOutboxEmpty(Collection<Long> ids, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (outboxRows(ids) > 0) {
            if (System.nanoTime() > end) {
                throw new AssertionError(outboxRows(ids) + " payouts still in the outbox after " + max);
            }
            BridgeProcess.sleep(250);
        }
    }

    // Queue

    record Payout(long fulfilmentId, int attempt, String duplicateId, String body) {
    }

    /** Takes every message off the payout queue until it has been quiet for {@code quiet}. */
    static List<Payout> drainPayouts(Duration quiet) {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(ProductionEnv.brokerUrl(),
                ProductionEnv.brokerUser(), ProductionEnv.brokerPassword());
        List<Payout> payouts = new ArrayList<>();
        try (factory; Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            try (MessageConsumer consumer = session.createConsumer(session.createQueue("payouts"))) {
                Message message;
                while ((message = consumer.receive(quiet.toMillis())) != null) {
                    String body = message instanceof TextMessage text ? text.getText() : null;
                    long id = -1;
                    int attempt = -1;
                    if (body != null) {
                        JsonNode json = JSON.readTree(body);
                        id = json.path("fulfilment_id").asLong(-1);
                        attempt = json.path("attempt").asInt(-1);
                    }
                    payouts.add(new Payout(id, attempt, message.getStringProperty("_AMQ_DUPL_ID"), body));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot drain the payout queue", e);
        }
        return payouts;
    }

    // Reporting

    /** One line with the scenario's numbers, printed and kept in target/production-summary.txt. */
    static void summary(String line) {
        String text = "SUMMARY " + line;
        System.out.println(text);
        try {
            Files.writeString(ProductionEnv.logDir().resolveSibling("production-summary.txt"), text + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
