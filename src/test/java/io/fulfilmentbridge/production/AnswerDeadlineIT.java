package io.fulfilmentbridge.production;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.fulfilmentbridge.StripeStandIn.customer;
import static io.fulfilmentbridge.StripeStandIn.item;
import static io.fulfilmentbridge.StripeStandIn.list;
import static io.fulfilmentbridge.StripeStandIn.subscription;
import static io.fulfilmentbridge.StripeStandIn.withSubscriptions;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Contract sections 2 and 8, on a bridge JVM of its own: deliveries during start-up get 503 (never
 * 404); every answer comes within 10 s of the request's arrival, when a write hangs after the Stripe
 * call (a row lock held by this test), and when a delivery waited for a thread before its route ran
 * (the delivery executor cut to one thread with a queue, so a second delivery queues behind a first).
 */
@Order(7)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnswerDeadlineIT extends ProductionSupport {

    private static BridgeProcess bridge;
    private static final List<Answer> DURING_START = new ArrayList<>();

    @BeforeAll
    static void startWhileDelivering() {
        Map<String, String> env = Bridges.environment();
        env.put("SPRING_TASK_EXECUTION_POOL_CORE_SIZE", "1");
        env.put("SPRING_TASK_EXECUTION_POOL_MAX_SIZE", "1");
        env.put("SPRING_TASK_EXECUTION_POOL_QUEUE_CAPACITY", "20");
        bridge = new BridgeProcess("bridge-deadline", env);
        bridge.launch();
        // Deliveries from the moment the JVM starts until one is applied after it is ready.
        long end = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        boolean ready = false;
        int sent = 0;
        while (System.nanoTime() < end) {
            Answer answer = deliver(bridge, delivery("credits.json", nextId(), Map.of("promoter.cust_id", "it-start")));
            DURING_START.add(answer);
            if (answer.status() == 200 && ready) {
                return;
            }
            if (++sent % 10 == 0) {
                ready = ready || bridge.healthy();
            }
            BridgeProcess.sleep(answer.answered() ? 20 : 100);
        }
        throw new IllegalStateException("bridge-deadline never granted a delivery; see " + bridge.logFile());
    }

    @AfterAll
    static void stop() {
        if (bridge != null) {
            bridge.stop();
        }
    }

    @Test
    @Order(1)
    void deliveriesDuringStartUpGet503NeverA404() {
        List<Answer> answered = DURING_START.stream().filter(Answer::answered).toList();
        List<Answer> resets = DURING_START.stream().filter(a -> !a.answered() && !a.failure().contains(ConnectException.class.getName())).toList();
        summary(String.format("scenario 8 (start-up): deliveries %d, not connected %d, 503 %d, 200 %d, other %d, resets %d",
                DURING_START.size(), DURING_START.size() - answered.size(),
                answered.stream().filter(a -> a.status() == 503).count(), answered.stream().filter(a -> a.status() == 200).count(),
                answered.stream().filter(a -> a.status() != 503 && a.status() != 200).count(), resets.size()));
        assertThat(resets).as("connections reset without an answer").isEmpty();
        assertThat(answered).allSatisfy(a -> {
            assertThat(a.status()).as(a.detail()).isIn(200, 503);
            if (a.status() == 503) {
                assertThat(a.outcome()).as(a.detail()).isEqualTo("retry");
            }
        });
        assertThat(answered).as("some deliveries came before the routes were up").anyMatch(a -> a.status() == 503);
    }

    @Test
    @Order(2)
    void aWriteThatHangsAfterTheStripeCallIsAnswered503Within10Seconds() throws Exception {
        // A first grant loads the Stripe client's classes, so the one below reaches Stripe at once.
        deliver(bridge, mixed(nextId(), 2));

        long id = nextId();
        String cus = customerId(id);
        String sub = subscriptionId(id);
        String active = subscription(sub, cus, "active", PERIOD_END - 86_400 * 10, null,
                List.of(item("P" + id, 1500, 1, "usd", "month", 1, PERIOD_END)));
        var stripe = STRIPE.server();
        stripe.stubFor(get(urlPathEqualTo("/v1/customers/" + cus)).willReturn(okJson(customer(cus))));
        stripe.stubFor(get(urlPathEqualTo("/v1/subscriptions")).withQueryParam("customer", equalTo(cus))
                .willReturn(okJson(list("/v1/subscriptions", List.of(active)))));
        // Slow enough for this test to lock the fulfilment's row while Stripe takes the grant.
        stripe.stubFor(post(urlPathEqualTo("/v1/subscriptions/" + sub)).willReturn(okJson(active).withFixedDelay(4500)));

        CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(() ->
                deliver(bridge, delivery("free-months.json", id, Map.of("promoter.cust_id", cus, "amount", 1))));
        try (Connection lock = DriverManager.getConnection(ProductionEnv.jdbcUrl(), ProductionEnv.jdbcUser(), ProductionEnv.jdbcPassword())) {
            long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            while (!"SENT".equals(grantState(id)) && System.nanoTime() < until) {
                BridgeProcess.sleep(20);
            }
            assertThat(grantState(id)).as("the grant is sent to Stripe").isEqualTo("SENT");
            lock.setAutoCommit(false);
            try (PreparedStatement forUpdate = lock.prepareStatement("SELECT state FROM fulfilments WHERE fulfilment_id = ? FOR UPDATE")) {
                forUpdate.setLong(1, id);
                forUpdate.executeQuery().close();
            }
            Answer answered = answer.get(30, TimeUnit.SECONDS);
            lock.rollback();

            summary("scenario 8 (a write hangs after the Stripe call): " + answered.status() + " " + answered.outcome()
                    + " in " + answered.millis() + " ms");
            assertThat(answered.status()).as(answered.detail()).isEqualTo(503);
            assertThat(answered.outcome()).isEqualTo("retry");
            assertThat(answered.millis()).isLessThan(10_000);
        }
        // Nothing half applied: the grant waits to be settled by reading Stripe, the fulfilment is not granted.
        assertThat(state(id)).isEqualTo("RECEIVED");
        assertThat(grantState(id)).isEqualTo("SENT");
    }

    @Test
    @Order(3)
    void aDeliveryThatWaitedForAThreadIsStillAnsweredWithin10SecondsOfArriving() throws Exception {
        long first = nextId();
        long second = nextId();
        for (long id : List.of(first, second)) {
            // Stripe is slow, then hangs: each delivery holds the bridge's one delivery thread for its whole
            // deadline, each call within the 5 s read timeout, so only the deadline ends it. The customer's
            // embedded subscriptions say more follow, so the list call is made.
            STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/" + customerId(id))).willReturn(okJson(
                    withSubscriptions(customer(customerId(id)), customerId(id), true, List.of())).withFixedDelay(4_500)));
            STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscriptions")).withQueryParam("customer", equalTo(customerId(id)))
                    .willReturn(okJson(list("/v1/subscriptions", List.of())).withFixedDelay(30_000)));
        }
        CompletableFuture<Answer> holdsTheThread = CompletableFuture.supplyAsync(() ->
                deliver(bridge, delivery("free-months.json", first, Map.of("promoter.cust_id", customerId(first), "amount", 1))));
        BridgeProcess.sleep(300);
        Answer waited = deliver(bridge, delivery("free-months.json", second, Map.of("promoter.cust_id", customerId(second), "amount", 1)));
        Answer held = holdsTheThread.get(30, TimeUnit.SECONDS);

        summary("scenario 8 (waited for a thread): first " + held.status() + " in " + held.millis() + " ms, second "
                + waited.status() + " " + waited.outcome() + " in " + waited.millis() + " ms");
        assertThat(held.status()).as(held.detail()).isEqualTo(503);
        assertThat(held.millis()).isLessThan(10_000);
        assertThat(waited.status()).as(waited.detail()).isEqualTo(503);
        assertThat(waited.outcome()).isEqualTo("retry");
        assertThat(waited.millis()).isLessThan(10_000);
    }

    @Test
    @Order(4)
    void deliveriesDuringShutdownGet503NeverA404() throws Exception {
        List<Answer> during = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sender = new Thread(() -> {
            while (!stopped.get()) {
                during.add(deliver(bridge, delivery("credits.json", nextId(), Map.of("promoter.cust_id", "it-stop"))));
                BridgeProcess.sleep(10);
            }
        });
        sender.start();
        BridgeProcess.sleep(1000);
        bridge.stop();
        stopped.set(true);
        sender.join(30_000);

        List<Answer> answered = during.stream().filter(Answer::answered).toList();
        long resets = during.stream().filter(a -> !a.answered() && !a.failure().contains(ConnectException.class.getName())).count();
        summary(String.format("scenario 8 (shutdown): deliveries %d, not connected %d, 200 %d, 503 %d, other %d, "
                        + "closed without an answer %d", during.size(), during.size() - answered.size() - resets,
                answered.stream().filter(a -> a.status() == 200).count(), answered.stream().filter(a -> a.status() == 503).count(),
                answered.stream().filter(a -> a.status() != 503 && a.status() != 200).count(), resets));
        assertThat(answered).allSatisfy(a -> {
            assertThat(a.status()).as(a.detail()).isIn(200, 503);
            if (a.status() == 503) {
                assertThat(a.outcome()).as(a.detail()).isEqualTo("retry");
            }
        });
    }

    private static String grantState(long id) {
        return jdbc.query("SELECT state FROM billing_grants WHERE billing_system = 'stripe' AND fulfilment_id = ?", rs -> rs.next() ? rs.getString(1) : null, id);
    }
}
