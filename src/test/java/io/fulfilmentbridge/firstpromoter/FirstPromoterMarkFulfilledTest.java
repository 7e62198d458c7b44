package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.Source;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Contract 8 for webhooks v2: a granted commission is closed in FirstPromoter with API v2's
 * mark_fulfilled, durably (the notice is a row, polled by route firstpromoter-notify), retried on any
 * failure, 422 included, until mark-fulfilled-for has passed since the first attempt, then given up and
 * listed for operators. A legacy payout with the same number is closed only by API v1's call.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "bridge.firstpromoter.v1-api-key=" + FirstPromoterMarkFulfilledTest.V1_KEY,
        "bridge.firstpromoter.api-key=" + FirstPromoterMarkFulfilledTest.V2_KEY,
        "bridge.firstpromoter.account-id=" + FirstPromoterMarkFulfilledTest.ACCOUNT,
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.retry-backoff=200ms",
        "bridge.firstpromoter.mark-fulfilled-for=3s"})
class FirstPromoterMarkFulfilledTest extends BridgeTest {

    static final String V1_KEY = "fp_mark_test_v1_key";
    static final String V2_KEY = "fp_mark_test_v2_key";
    static final String ACCOUNT = "acc_mark_test";

    private static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    /** The ids granted here, by kind: no call may name an id of the other kind. */
    private static final Set<Long> V1_IDS = ConcurrentHashMap.newKeySet();
    private static final Set<Long> V2_IDS = ConcurrentHashMap.newKeySet();

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.v1-api-base", FIRSTPROMOTER::baseUrl);
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @AfterAll
    static void stopFirstPromoter() {
        FIRSTPROMOTER.stop();
    }

    @Autowired
    private FulfilmentClaims claims;
    @Autowired
    private FulfilmentLifecycle lifecycle;

    @Autowired
    private JmsTemplate jms;

    @Autowired
    private org.apache.camel.CamelContext camel;

    @Autowired
    private MeterRegistry meters;

    /**
     * Below every id this class takes: ids grow through the test JVM, so a row with a smaller one was left by
     * an earlier class.
     */
    private static final long FIRST_OWN_ID = nextId();

    @BeforeEach
    void firstPromoterClosesLegacyPayouts() {
        // Before the stand-in is reset: what an earlier class's notice sent here is forgotten with it.
        forgetNoticesOfEarlierClasses(FIRST_OWN_ID);
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubPayoutUpdateCompleted();
    }

    @AfterEach
    void eachIdWentOnlyToTheCallOfItsKind() throws Exception {
        for (LoggedRequest request : FIRSTPROMOTER.requests()) {
            if (request.getUrl().startsWith(FirstPromoterStandIn.MARK_FULFILLED)) {
                JsonNode ids = JSON.readTree(request.getBodyAsString()).get("ids");
                assertThat(ids.size()).as("ids a call (five are processed at once)").isBetween(1, 5);
                ids.forEach(id -> assertThat(V2_IDS).as("a v2 commission id").contains(id.asLong()));
                assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + V2_KEY);
                assertThat(request.containsHeader("X-API-KEY")).isFalse();
            } else {
                assertThat(request.getMethod().getName() + " " + request.getUrl())
                        .matches("PUT " + FirstPromoterStandIn.PAYOUT_UPDATE + "\\?id=\\d+&status=completed");
                assertThat(V1_IDS).as("a v1 payout id").contains(Long.valueOf(request.queryParameter("id").firstValue()));
                assertThat(request.getHeader("X-API-KEY")).isEqualTo(V1_KEY);
                assertThat(request.containsHeader("Authorization")).isFalse();
            }
        }
    }

    @Test
    void aGrantedCommissionIsClosedOnceWithMarkFulfilled() {
        long id = nextId();
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);

        grantCommission(id);

        await().atMost(Duration.ofSeconds(10)).until(() -> FIRSTPROMOTER.markFulfilled(id).size() == 1);
        LoggedRequest call = FIRSTPROMOTER.markFulfilled(id).get(0);
        assertThat(call.getMethod().getName()).isEqualTo("POST");
        assertThat(call.getUrl()).isEqualTo("/api/v2/company/commissions/mark_fulfilled");
        assertThat(call.getBodyAsString()).isEqualTo("{\"ids\":[" + id + "]}");
        assertThat(call.getHeader("Authorization")).isEqualTo("Bearer " + V2_KEY);
        assertThat(call.getHeader("Account-ID")).isEqualTo(ACCOUNT);
        assertThat(call.getHeader("Content-Type")).startsWith("application/json");
        noticeSettled(Source.COMMISSION, id);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(1);
        assertThat(FIRSTPROMOTER.payoutUpdates(id)).as("no v1 call for a commission").isEmpty();
        assertThat(noticeRow(Source.COMMISSION, id)).containsEntry("firstpromoter_notice", "SENT").containsEntry("firstpromoter_attempts", 1);
    }

    @Test
    void a422IsRetriedWithBackOffUntilFirstPromoterTakesIt() {
        long id = nextId();
        FIRSTPROMOTER.stubMarkFulfilled(id, 422, 422, 200);

        grantCommission(id);

        await().atMost(Duration.ofSeconds(10)).until(() -> "SENT".equals(noticeRow(Source.COMMISSION, id).get("firstpromoter_notice")));
        noticeSettled(Source.COMMISSION, id);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(3);
        assertThat(noticeRow(Source.COMMISSION, id)).containsEntry("firstpromoter_attempts", 3);
        assertThat((String) noticeRow(Source.COMMISSION, id).get("firstpromoter_error")).as("the last failure").contains("status 422");
    }

    @Test
    void a200WhoseBatchFailedTheIdIsRetried() {
        long id = nextId();
        FIRSTPROMOTER.stubMarkFulfilledAnswers(id,
                WireMock.okJson(FirstPromoterStandIn.batchFailed("Commission " + id + " has no payout")),
                WireMock.okJson(FirstPromoterStandIn.batchCompleted(1)));

        grantCommission(id);

        await().atMost(Duration.ofSeconds(10)).until(() -> "SENT".equals(noticeRow(Source.COMMISSION, id).get("firstpromoter_notice")));
        assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(2);
        assertThat((String) noticeRow(Source.COMMISSION, id).get("firstpromoter_error"))
                .contains("FirstPromoter did not process it").contains("has no payout");
    }

    /** Grants these commissions with route firstpromoter-notify stopped, then starts it: one poll finds them all due. */
    private void grantTogether(List<Long> ids) throws Exception {
        camel.getRouteController().stopRoute("firstpromoter-notify");
        try {
            ids.forEach(this::grantCommission);
        } finally {
            camel.getRouteController().startRoute("firstpromoter-notify");
        }
    }

    @Test
    void commissionsDueTogetherAreClosedFiveToACall() throws Exception {
        List<Long> ids = java.util.stream.LongStream.range(0, 7).map(i -> nextId()).boxed().toList();
        ids.forEach(id -> FIRSTPROMOTER.stubMarkFulfilled(id, 200));

        grantTogether(ids);

        ids.forEach(id -> noticeSettled(Source.COMMISSION, id));
        List<List<Long>> calls = FIRSTPROMOTER.requests(FirstPromoterStandIn.MARK_FULFILLED).stream()
                .map(FirstPromoterStandIn::idsOf).filter(call -> ids.containsAll(call)).toList();
        // Oldest due first, five to a call: two calls for seven.
        assertThat(calls).containsExactlyInAnyOrder(ids.subList(0, 5), ids.subList(5, 7));
        ids.forEach(id -> assertThat(noticeRow(Source.COMMISSION, id)).containsEntry("firstpromoter_notice", "SENT")
                .containsEntry("firstpromoter_attempts", 1));
    }

    @Test
    void aBatchRefusedWith422IsSentAgainOneIdACallWithinTheSameAttempt() throws Exception {
        long first = nextId();
        long second = nextId();
        long notYet = nextId();
        FIRSTPROMOTER.stubMarkFulfilled(first, 200);
        FIRSTPROMOTER.stubMarkFulfilled(second, 200);
        // Added last, so a batch holding it gets its answers: 422 for the batch, then 200 alone.
        FIRSTPROMOTER.stubMarkFulfilled(notYet, 422, 200);

        grantTogether(List.of(first, second, notYet));

        List.of(first, second, notYet).forEach(id -> noticeSettled(Source.COMMISSION, id));
        for (long id : List.of(first, second, notYet)) {
            assertThat(FIRSTPROMOTER.markFulfilled(id).stream().map(FirstPromoterStandIn::idsOf).toList())
                    .as("commission %d: the batch, then alone", id).containsExactly(List.of(first, second, notYet), List.of(id));
            assertThat(noticeRow(Source.COMMISSION, id)).containsEntry("firstpromoter_notice", "SENT").containsEntry("firstpromoter_attempts", 1);
        }
    }

    @Test
    void aCommissionFirstPromoterNeverTakesIsGivenUpAfterMarkFulfilledForAndListed(CapturedOutput output) throws Exception {
        long id = nextId();
        FIRSTPROMOTER.stubMarkFulfilled(id, 422);

        grantCommission(id);

        await().atMost(Duration.ofSeconds(15)).until(() -> "GAVE_UP".equals(noticeRow(Source.COMMISSION, id).get("firstpromoter_notice")));
        Map<String, Object> row = noticeRow(Source.COMMISSION, id);
        int attempts = (Integer) row.get("firstpromoter_attempts");
        // 200ms, 400ms, 800ms, 1.6s: the fifth attempt comes at the end of the 3s, not later.
        assertThat(attempts).isBetween(4, 6);
        noticeSettled(Source.COMMISSION, id);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(attempts);

        String[] unclosed = (String[]) ManagementFactory.getPlatformMBeanServer()
                .getAttribute(parkedFulfilmentsMBean(), "UnclosedInFirstPromoter");
        assertThat(unclosed).anySatisfy(line -> assertThat(line).startsWith("v2 " + id + ": " + attempts + " attempts")
                .contains("status 422").contains("Commission payout not found"));
        assertThat(meters.get("bridge.firstpromoter.notices.given.up").gauge().value()).isGreaterThanOrEqualTo(1.0);
        assertThat(output.getAll()).contains("gave up telling FirstPromoter that commission " + id)
                .doesNotContain(V2_KEY).doesNotContain(V1_KEY);
        for (Map<String, Object> stored : jdbc.queryForList("SELECT * FROM fulfilments")) {
            assertThat(stored.toString()).doesNotContain(V2_KEY).doesNotContain(V1_KEY);
        }
    }

    @Test
    void aLegacyPayoutAndACommissionOfTheSameNumberAreEachClosedByTheirOwnCall() {
        long id = nextId();
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
        V1_IDS.add(id);
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        jms.send("payouts.results", session -> session.createTextMessage(
                "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_" + id + "\"}"));
        grantCommission(id);

        await().atMost(Duration.ofSeconds(10)).until(() -> "SENT".equals(noticeRow(Source.FULFILMENT_PENDING, id).get("firstpromoter_notice"))
                && "SENT".equals(noticeRow(Source.COMMISSION, id).get("firstpromoter_notice")));
        noticeSettled(Source.FULFILMENT_PENDING, id);
        noticeSettled(Source.COMMISSION, id);
        List<LoggedRequest> v1 = FIRSTPROMOTER.payoutUpdates(id);
        assertThat(v1).hasSize(1);
        assertThat(v1.get(0).getHeader("X-API-KEY")).isEqualTo(V1_KEY);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(1);
        assertThat(FIRSTPROMOTER.requests()).hasSize(2);
    }

    /** A v2 commission claimed and granted through the records, as the firstpromoter-events route does. */
    private void grantCommission(long id) {
        V2_IDS.add(id);
        FulfilmentKey key = new FulfilmentKey(Source.COMMISSION, id);
        try {
            Claim claim = claims.claim(new Fulfilment(key, "event-" + id, "credits", BigDecimal.TEN, "approved", 7101,
                    "app-user-" + id, "promoter@example.com"), Deadline.from(System.nanoTime(), Duration.ofSeconds(9)));
            assertThat(claim.held()).isTrue();
            lifecycle.markGranted(claim);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Object> noticeRow(Source source, long id) {
        return jdbc.queryForMap("""
                SELECT firstpromoter_notice, firstpromoter_attempts, firstpromoter_notified_at, firstpromoter_error
                FROM fulfilments WHERE source = ? AND fulfilment_id = ?""", source.ledgerSource(), id);
    }

    /**
     * Waits until nothing more can be sent for this notice: the notifier takes an attempt only of a row whose
     * notice is DUE, counting it before its call, and marks it SENT or GAVE_UP after the call returned. Once
     * the row is no longer DUE, every call made for it is at the stand-in and none can follow (proof, not a
     * quiet window).
     */
    private void noticeSettled(Source source, long id) {
        await().atMost(Duration.ofSeconds(15)).until(() -> !"DUE".equals(noticeRow(source, id).get("firstpromoter_notice")));
    }
}
