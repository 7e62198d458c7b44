package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.FirstPromoterStandIn.ListShape;
import io.fulfilmentbridge.FirstPromoterStandIn.V1Paging;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.management.MBeanServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Reconciliation of a webhooks v2 bridge with FirstPromoter's list of approved commissions not fulfilled
 * (docs/promises.md, Nothing lost when every delivery failed), end to end: applied once through the same
 * claim as an approval (ordered against a denial by the commission's status_updated_at), closed once by
 * mark_fulfilled, read over several pages in either answer shape.
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=" + ReconciliationV2Test.KEY,
        "bridge.firstpromoter.account-id=acc_reconciliation",
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.reconciliation.enabled=true",
        "bridge.reconciliation.interval=1h",
        "bridge.reconciliation.grace=1m",
        "bridge.reconciliation.since=2026-01-01T00:00:00Z"})
class ReconciliationV2Test extends BridgeTest {

    static final String KEY = "fp_test_v2_key_reconciliation";
    static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final Instant CREATED = Instant.now().minus(Duration.ofHours(6)).truncatedTo(ChronoUnit.SECONDS);

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @AfterAll
    static void stop() {
        FIRSTPROMOTER.stop();
    }

    @BeforeEach
    void serveLists() {
        FirstReconciliationRun.awaitDone(jdbc, "v2", getClass());
        serve(ListShape.DATA_AND_META);
    }

    private void serve(ListShape shape) {
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.serveLists(V1Paging.PAGE_NUMBER, 20, shape);
        FIRSTPROMOTER.stubAnyPromoter("promoter@example.org", "app-promoter");
    }

    private String reconcileNow() throws Exception {
        return (String) JMX.invoke(parkedFulfilmentsMBean(), "reconcileNow", new Object[0], new String[0]);
    }

    private int ledgerEntries(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE source = 'v2' AND fulfilment_id = ?", Integer.class, id);
    }

    private String v2State(long id) {
        return jdbc.query("SELECT state FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, id);
    }

    private static String param(LoggedRequest request, String name) {
        return request.queryParameter(name).isPresent() ? request.queryParameter(name).firstValue() : null;
    }

    private void awaitFulfilled(List<Long> ids) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(ids.stream().filter(id -> !FIRSTPROMOTER.commissionFulfilled(id)).toList()).isEmpty());
    }

    /** A webhooks v2 event of FirstPromoter's docs' shape for this commission. */
    private static String event(long id, List<String> statusChange, Instant timestamp) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample("v2-docs-commission-approved.json"));
            root.put("event_id", UUID.randomUUID().toString());
            root.put("event_type", "commission.updated");
            root.put("entity_id", id);
            ArrayNode status = root.putObject("changes").putArray("status");
            statusChange.forEach(status::add);
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", "credits");
            data.put("amount", 10);
            root.put("timestamp", timestamp.toString());
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void lostCommissionsOverSeveralPagesAreAppliedOnceAndClosedOnce() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            long id = nextId();
            FIRSTPROMOTER.addCommission(id, "approved", i % 2 == 0 ? "credits" : "points", 10, CREATED.plusSeconds(i), CREATED,
                    8000 + i, "promoter@example.org");
            ids.add(id);
        }

        String summary = reconcileNow();

        assertThat(summary).contains("2 pages read, 130 open rewards to act on").contains("applied 130,").contains("failed 0");
        List<LoggedRequest> reads = FIRSTPROMOTER.listReads();
        assertThat(reads).hasSize(2);
        assertThat(reads).allSatisfy(r -> {
            assertThat(param(r, "filters[status]")).isEqualTo("approved");
            assertThat(param(r, "filters[fulfilled]")).isEqualTo("no");
            assertThat(param(r, "filters[created_at][from]")).isEqualTo("2026-01-01");
            assertThat(param(r, "sorting[created_at]")).isEqualTo("asc");
            assertThat(param(r, "per_page")).isEqualTo("100");
            assertThat(r.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
        });
        assertThat(reads.stream().map(r -> param(r, "page")).toList()).containsExactly("1", "2");
        ids.forEach(id -> assertThat(ledgerEntries(id)).as("commission %d", id).isEqualTo(2));
        // The listed commission is not read again: only its promoter is asked.
        assertThat(FIRSTPROMOTER.commissionReads(ids.get(0))).isEmpty();

        awaitFulfilled(ids);
        // Closed once each, up to five to a call (the notices a poll finds due together).
        assertThat(FIRSTPROMOTER.markFulfilledBatches()).allSatisfy(batch -> assertThat(batch).hasSizeBetween(1, 5));
        assertThat(FIRSTPROMOTER.markFulfilledBatches().stream().flatMap(List::stream).toList()).containsExactlyInAnyOrderElementsOf(ids);

        assertThat(reconcileNow()).contains("0 open rewards to act on");
        ids.forEach(id -> assertThat(ledgerEntries(id)).isEqualTo(2));
    }

    @Test
    void aBareArrayListIsReadAsWell() throws Exception {
        serve(ListShape.BARE_ARRAY);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long id = nextId();
            FIRSTPROMOTER.addCommission(id, "approved", "credits", 10, CREATED.plusSeconds(i), CREATED, 8200, "promoter@example.org");
            ids.add(id);
        }

        assertThat(reconcileNow()).contains("1 pages read, 5 open rewards").contains("applied 5,");
        awaitFulfilled(ids);
    }

    @Test
    void aStuckApprovalIsApplied() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubCommissionAnswer(id, FirstPromoterStandIn.error(503, "Service unavailable", "unavailable"));
        assertAnswer(postEvent(event(id, List.of("pending", "approved"), Instant.now().minus(Duration.ofHours(2)))), 503, "retry");
        assertThat(v2State(id)).isEqualTo("RECEIVED");
        serveLists();
        FIRSTPROMOTER.addCommission(id, "approved", "credits", 10, CREATED, Instant.now().minus(Duration.ofHours(2)), 8300,
                "promoter@example.org");

        String summary = reconcileNow();

        assertThat(summary).contains("applied 1,");
        assertThat(v2State(id)).isEqualTo("GRANTED");
        assertThat(ledgerEntries(id)).isEqualTo(2);
        awaitFulfilled(List.of(id));
        assertThat(FIRSTPROMOTER.markFulfilled(id)).hasSize(1);
    }

    @Test
    void aCommissionDeniedThenApprovedAgainIsAppliedAndOneApprovedBeforeItsDenialIsNot() throws Exception {
        Instant deniedAt = Instant.now().minus(Duration.ofHours(3)).truncatedTo(ChronoUnit.SECONDS);
        long reapproved = nextId();
        long stale = nextId();
        assertAnswer(postEvent(event(reapproved, List.of("approved", "denied"), deniedAt)), 200, "reversed");
        assertAnswer(postEvent(event(stale, List.of("approved", "denied"), deniedAt)), 200, "reversed");
        FIRSTPROMOTER.addCommission(reapproved, "approved", "credits", 10, CREATED, deniedAt.plus(Duration.ofHours(1)), 8400,
                "promoter@example.org");
        // FirstPromoter's list is behind: its approval is older than the denial the bridge took in.
        FIRSTPROMOTER.addCommission(stale, "approved", "credits", 10, CREATED.plusSeconds(1), deniedAt.minus(Duration.ofHours(1)), 8401,
                "promoter@example.org");

        String summary = reconcileNow();

        assertThat(summary).contains("applied 1,").contains("ignored 1,");
        assertThat(v2State(reapproved)).isEqualTo("GRANTED");
        assertThat(ledgerEntries(reapproved)).isEqualTo(2);
        assertThat(v2State(stale)).isEqualTo("DENIED");
        assertThat(ledgerEntries(stale)).isZero();
        awaitFulfilled(List.of(reapproved));
        assertThat(FIRSTPROMOTER.markFulfilled(stale)).isEmpty();
    }

    @Test
    void aCashCommissionIsFirstPromotersToPay() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.addCommission(id, "approved", "cash", 3000, CREATED, CREATED, 8500, "promoter@example.org");

        assertThat(reconcileNow()).contains("applied 0,").contains("ignored 1,");
        assertThat(v2State(id)).isNull();
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isEmpty();
    }

    @Test
    void firstPromoterDownWhileApplyingStopsTheRunWithNothingHalfAppliedAndTheNextFinishes() throws Exception {
        long first = nextId();
        long down = nextId();
        long last = nextId();
        FIRSTPROMOTER.addCommission(first, "approved", "credits", 10, CREATED, CREATED, 8600, "promoter@example.org");
        FIRSTPROMOTER.addCommission(down, "approved", "credits", 10, CREATED.plusSeconds(1), CREATED, 8601, "promoter@example.org");
        FIRSTPROMOTER.addCommission(last, "approved", "credits", 10, CREATED.plusSeconds(2), CREATED, 8602, "promoter@example.org");
        var outage = FIRSTPROMOTER.server().stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(
                com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo(FirstPromoterStandIn.COMPANY + "/promoters/8601"))
                .willReturn(FirstPromoterStandIn.error(503, "Service unavailable", "unavailable")));

        String stopped = reconcileNow();

        assertThat(stopped).contains("applied 1,").contains("failed 1").contains("stopped: commission " + down + " (credits)")
                .contains("answered 503");
        assertThat(v2State(first)).isEqualTo("GRANTED");
        assertThat(v2State(down)).isNull();
        assertThat(v2State(last)).isNull();
        assertThat(FIRSTPROMOTER.promoterReads(8602)).isEmpty();

        FIRSTPROMOTER.server().removeStub(outage);
        awaitFulfilled(List.of(first));
        String finished = reconcileNow();

        assertThat(finished).contains("applied 2,").contains("failed 0");
        List.of(first, down, last).forEach(id -> assertThat(ledgerEntries(id)).isEqualTo(2));
        awaitFulfilled(List.of(down, last));
        assertThat(FIRSTPROMOTER.markFulfilled(first)).hasSize(1);
    }
}
