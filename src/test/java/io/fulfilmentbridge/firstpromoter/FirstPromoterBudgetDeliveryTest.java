package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * A webhooks v2 approval is read from FirstPromoter's API while its delivery waits (docs/promises.md,
 * Within FirstPromoter's limit): with no request left in the shared budget it is answered 503 within its
 * deadline (bridge.answer-within 2s here) and FirstPromoter is not called; a 429 pauses the budget for
 * its Retry-After, and a delivery meanwhile is answered 503 at once, without a call; once the budget has
 * room again the approval is granted; with the background's half spent, deliveries still take theirs
 * while the close (a notice, background) waits for the next window. The budget is 6 a minute; its row
 * is put back after each test.
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=" + FirstPromoterBudgetDeliveryTest.KEY,
        "bridge.firstpromoter.account-id=acc_budget",
        "bridge.firstpromoter.requests-per-minute=6",
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.answer-within=2s"})
class FirstPromoterBudgetDeliveryTest extends BridgeTest {

    static final String KEY = "fp_test_v2_key_budget";
    static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final long REWARD = 21;

    @Autowired
    private MeterRegistry meters;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @AfterAll
    static void stop() {
        FIRSTPROMOTER.stop();
    }

    @BeforeEach
    @AfterEach
    void forgetTheBudget() {
        Timestamp never = Timestamp.from(Instant.EPOCH);
        jdbc.update("UPDATE firstpromoter_budget SET window_start = ?, used = 0, background_used = 0, deliveries_waiting_until = ?, "
                + "paused_until = ? WHERE id = 1", never, never, never);
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(REWARD, true, "credits", null, null, null));
    }

    private static String approval(long id) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample("v2-docs-commission-approved.json"));
            root.put("event_id", UUID.randomUUID().toString());
            root.put("event_type", "commission.approved");
            root.put("entity_id", id);
            root.remove("changes");
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", "credits");
            data.put("amount", 20);
            root.put("timestamp", Instant.now().toString());
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long knownCommission() {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "credits", 20, promoterId,
                "promoter-" + promoterId + "@example.com", 99812L, "customer@example.com", "app-user-552", REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter-" + promoterId + "@example.com", "app-user-" + promoterId);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
        return id;
    }

    private double refusedDeliveries() {
        return meters.get("bridge.firstpromoter.budget.waits").tag("class", "delivery").tag("outcome", "refused").counter().count();
    }

    @Test
    void aDeliveryThatFindsNoBudgetAnswers503WithinItsDeadlineWithoutCallingFirstPromoter() {
        long id = knownCommission();
        // This minute's 6 requests already taken (by other instances, say), with time left in the minute.
        await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().atZone(java.time.ZoneOffset.UTC).getSecond() < 56);
        jdbc.update("UPDATE firstpromoter_budget SET window_start = ?, used = 6 WHERE id = 1",
                Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MINUTES)));
        double refusedBefore = refusedDeliveries();

        long sent = System.nanoTime();
        HttpResponse<String> answer = postEvent(approval(id));
        Duration took = Duration.ofNanos(System.nanoTime() - sent);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.body()).contains("request budget");
        assertThat(took).as("answered within bridge.answer-within").isLessThan(Duration.ofMillis(2500));
        assertThat(FIRSTPROMOTER.requests()).as("FirstPromoter not called").isEmpty();
        assertThat(refusedDeliveries()).isEqualTo(refusedBefore + 1);
        assertThat(state(id, "v2")).isNotEqualTo("GRANTED");

        // FirstPromoter sends it again once the budget has room: granted.
        forgetTheBudget();
        id = knownCommission();
        HttpResponse<String> again = postEvent(approval(id));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(state(id, "v2")).isEqualTo("GRANTED");
    }

    @Test
    void a429PausesTheBudgetAndTheNextDeliveryIsAnswered503AtOnceWithoutACall() {
        long limited = knownCommission();
        FIRSTPROMOTER.server().stubFor(WireMock.get(WireMock.urlPathEqualTo(FirstPromoterStandIn.COMMISSIONS))
                .withQueryParam("ids[]", WireMock.equalTo(Long.toString(limited))).atPriority(1)
                .willReturn(FirstPromoterStandIn.error(429, "Too many requests", "rate_limited").withHeader("Retry-After", "30")));

        assertThat(postEvent(approval(limited)).statusCode()).isEqualTo(503);
        Instant pausedUntil = jdbc.queryForObject("SELECT paused_until FROM firstpromoter_budget WHERE id = 1", Timestamp.class)
                .toInstant();
        assertThat(Duration.between(Instant.now(), pausedUntil)).isBetween(Duration.ofSeconds(25), Duration.ofSeconds(31));
        int calls = FIRSTPROMOTER.requests().size();

        long id = knownCommission();
        long sent = System.nanoTime();
        HttpResponse<String> answer = postEvent(approval(id));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.body()).contains("429");
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("the pause outlasts its deadline: answered at once")
                .isLessThan(Duration.ofMillis(1000));
        assertThat(FIRSTPROMOTER.requests()).as("nobody calls FirstPromoter during the pause").hasSize(calls);
    }

    @Test
    void withTheBackgroundsHalfSpentADeliveryIsStillAnsweredAndItsCloseWaitsForTheNextWindow() throws Exception {
        await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().atZone(java.time.ZoneOffset.UTC).getSecond() < 56);
        // Reconciliation and notices took their 3 of this minute's 6.
        jdbc.update("UPDATE firstpromoter_budget SET window_start = ?, used = 3, background_used = 3 WHERE id = 1",
                Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MINUTES)));
        long id = knownCommission();

        HttpResponse<String> answer = postEvent(approval(id));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(state(id, "v2")).isEqualTo("GRANTED");
        assertThat(FIRSTPROMOTER.commissionReads(id)).hasSize(1);
        Thread.sleep(600); // several notice polls: its close, background, finds no request
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isEmpty();
        assertThat(jdbc.queryForObject("SELECT firstpromoter_attempts FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?",
                Integer.class, id)).as("no attempt counted while it waits").isZero();

        // The next window (its start set back a minute): the close goes out, once.
        jdbc.update("UPDATE firstpromoter_budget SET window_start = ? WHERE id = 1",
                Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(1))));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(1));
    }

    private String state(long id, String source) {
        return jdbc.query("SELECT state FROM fulfilments WHERE source = ? AND fulfilment_id = ?", rs -> rs.next() ? rs.getString(1) : null,
                source, id);
    }
}
