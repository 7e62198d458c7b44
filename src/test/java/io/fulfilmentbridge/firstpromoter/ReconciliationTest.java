package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.FirstPromoterStandIn.ListShape;
import io.fulfilmentbridge.FirstPromoterStandIn.V1Paging;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Reconciliation of a legacy bridge with FirstPromoter's list of pending payouts (docs/promises.md, Nothing
 * lost when every delivery failed), end to end over HTTP against the FirstPromoter stand-in: what was
 * applied (rows, ledger entries, Stripe's requests), what FirstPromoter was asked (list pages, payout
 * updates), and the run's summary as the console's reconcileNow answers it.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "bridge.firstpromoter.v1-api-key=" + ReconciliationTest.KEY,
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.reconciliation.enabled=true",
        "bridge.reconciliation.interval=1h",
        "bridge.reconciliation.grace=1m",
        "bridge.reconciliation.since=2026-01-01T00:00:00Z"})
class ReconciliationTest extends BridgeTest {

    static final String KEY = "fp_test_v1_key_reconciliation";
    static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    /** Created well within since and past the grace. */
    private static final Instant CREATED = Instant.parse("2026-06-01T10:00:00Z");

    @Autowired
    private MeterRegistry meters;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.v1-api-base", FIRSTPROMOTER::baseUrl);
    }

    @AfterAll
    static void stop() {
        FIRSTPROMOTER.stop();
    }

    @BeforeEach
    void serveLists() {
        FirstReconciliationRun.awaitDone(jdbc, "v1", getClass());
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.serveLists(V1Paging.LINK_HEADER, 20, ListShape.BARE_ARRAY);
    }

    private String reconcileNow() throws Exception {
        return (String) JMX.invoke(parkedFulfilmentsMBean(), "reconcileNow", new Object[0], new String[0]);
    }

    private String[] attribute(String name) throws Exception {
        return (String[]) JMX.getAttribute(parkedFulfilmentsMBean(), name);
    }

    private int ledgerEntries(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE source = 'v1' AND fulfilment_id = ?", Integer.class, id);
    }

    private long counter(String outcome) {
        return (long) meters.get("bridge.reconciliation.rewards").tag("source", "v1").tag("outcome", outcome).counter().count();
    }

    private void awaitClosed(List<Long> ids) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(ids.stream().filter(id -> !"completed".equals(FIRSTPROMOTER.payoutStatus(id))).toList()).isEmpty());
    }

    private static String email(long id) {
        return "promoter" + id + "@example.org";
    }

    private List<Long> addPayouts(String unit, int n, java.util.function.LongFunction<String> custId) {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long id = nextId();
            FIRSTPROMOTER.addPayout(id, unit, "20", CREATED.plusSeconds(ids.size()), 7000 + i, email(id), custId.apply(id));
            ids.add(id);
        }
        return ids;
    }

    @Test
    void lostRewardsOfEveryUnitOverSeveralPagesAreAppliedOnceAndClosedOnce(CapturedOutput output) throws Exception {
        long appliedBefore = counter("applied");
        List<Long> credits = addPayouts("credits", 45, id -> "acct-" + id);
        List<Long> points = addPayouts("points", 25, id -> null);
        List<Long> freeMonths = addPayouts("free_months", 4, id -> "cus_rec" + id);
        List<Long> discounts = addPayouts("mon_discount", 4, id -> "cus_rec" + id);
        for (long id : freeMonths) {
            STRIPE.stubGrantableCustomer("cus_rec" + id, "sub_rec" + id);
        }
        for (long id : discounts) {
            STRIPE.stubGrantableCustomer("cus_rec" + id, "sub_rec" + id);
        }
        List<Long> all = new ArrayList<>(credits);
        all.addAll(points);
        all.addAll(freeMonths);
        all.addAll(discounts);

        String summary = reconcileNow();

        assertThat(summary).contains("4 pages read, 78 open rewards to act on").contains("applied 78,").contains("failed 0");
        // Every page first, following the Link header: page 1 as asked, then the pages it named.
        assertThat(FIRSTPROMOTER.listReads().stream().map(LoggedRequest::getUrl).toList()).containsExactly(
                "/api/v1/payouts/list?status=pending", "/api/v1/payouts/list?status=pending&page=2",
                "/api/v1/payouts/list?status=pending&page=3", "/api/v1/payouts/list?status=pending&page=4");
        assertThat(FIRSTPROMOTER.listReads()).allSatisfy(r -> assertThat(r.getHeader("X-API-KEY")).isEqualTo(KEY));
        for (long id : all) {
            assertThat(state(id)).as("fulfilment %d", id).isEqualTo("GRANTED");
        }
        for (long id : credits) {
            assertThat(ledgerEntries(id)).isEqualTo(2);
        }
        for (long id : points) {
            assertThat(ledgerEntries(id)).isEqualTo(2);
        }
        // Its record says reconciliation applied it.
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE reconciled_at IS NOT NULL AND fulfilment_id IN ("
                + all.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")", Integer.class)).isEqualTo(78);
        for (long id : freeMonths) {
            assertThat(STRIPE.server().findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                    com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo("/v1/subscriptions/sub_rec" + id)))).hasSize(1);
        }
        for (long id : discounts) {
            assertThat(STRIPE.server().findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                    com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo("/v1/customers/cus_rec" + id + "/balance_transactions"))))
                    .hasSize(1);
        }

        // Closed through the one notice path: one payout update each.
        awaitClosed(all);
        for (long id : all) {
            assertThat(FIRSTPROMOTER.payoutUpdates(id)).as("payout %d", id).hasSize(1);
            assertThat(FIRSTPROMOTER.payoutUpdates(id).get(0).getUrl()).endsWith("id=" + id + "&status=completed");
        }
        assertThat(counter("applied") - appliedBefore).isEqualTo(78);

        // Nothing open any more: the next run applies and closes nothing again.
        String again = reconcileNow();
        assertThat(again).contains("0 open rewards to act on").contains("applied 0,");
        for (long id : credits) {
            assertThat(ledgerEntries(id)).isEqualTo(2);
            assertThat(FIRSTPROMOTER.payoutUpdates(id)).hasSize(1);
        }
        // No list body, nor a promoter's secret, in the log.
        assertThat(output.getAll()).doesNotContain("auth-token-of-promoter").doesNotContain("temp-password-");
    }

    @Test
    void pagesAskedByNumberWhenTheListSaysNothingUntilAShortOne() throws Exception {
        FIRSTPROMOTER.serveLists(V1Paging.PAGE_NUMBER, 20, ListShape.BARE_ARRAY);
        List<Long> credits = addPayouts("credits", 40, id -> null);

        String summary = reconcileNow();

        assertThat(summary).contains("applied 40,");
        // Page 2 was as long as page 1, so page 3 was asked: empty, the last.
        assertThat(FIRSTPROMOTER.listReads().stream().map(LoggedRequest::getUrl).toList()).containsExactly(
                "/api/v1/payouts/list?status=pending", "/api/v1/payouts/list?status=pending&page=2",
                "/api/v1/payouts/list?status=pending&page=3");
        awaitClosed(credits);
        credits.forEach(id -> assertThat(ledgerEntries(id)).isEqualTo(2));
    }

    @Test
    void aRewardDeliveredBeforeAndStillOpenIsClosedNotBookedAgain() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.addPayout(id, "credits", "20", CREATED, 7001, email(id), null);
        assertAnswer(post(delivery("credits.json", id, Map.of("promoter.cust_id", "acct-" + id))), 200, "granted");

        String summary = reconcileNow();

        // Its 200 never reached FirstPromoter: its close made due now, nothing booked again.
        assertThat(summary).contains("applied 0,").contains("closed 1,");
        awaitClosed(List.of(id));
        assertThat(FIRSTPROMOTER.payoutUpdates(id)).hasSize(1);
        assertThat(ledgerEntries(id)).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT reconciled_at FROM fulfilments WHERE source = 'v1' AND fulfilment_id = ?",
                java.sql.Timestamp.class, id)).isNull();
    }

    @Test
    void aRewardClosedWhileTheRunReadsItsPageIsLeftNotListedAsReopened() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.addPayout(id, "credits", "20", CREATED, 7007, email(id), null);
        assertAnswer(post(delivery("credits.json", id, Map.of("promoter.cust_id", "acct-" + id))), 200, "granted");
        // The page is answered slowly; meanwhile the notice path's close reaches FirstPromoter (sent, on the database's clock).
        FIRSTPROMOTER.server().setGlobalFixedDelay(1500);
        String summary;
        try {
            CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return reconcileNow();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queryForObject(
                    "SELECT COUNT(*) FROM reconciliation_runs WHERE source = 'v1' AND lease_holder IS NOT NULL", Integer.class) == 1);
            jdbc.update("UPDATE fulfilments SET firstpromoter_notice = 'SENT', firstpromoter_notified_at = CURRENT_TIMESTAMP "
                    + "WHERE source = 'v1' AND fulfilment_id = ?", id);
            summary = run.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            FIRSTPROMOTER.server().setGlobalFixedDelay(0);
        }

        // The page may predate the close: left for the next run to see, not listed as reopened, not closed again.
        assertThat(summary).contains("reopened 0,").contains("left 1,").contains("applied 0,");
        assertThat(attribute("ReopenedInFirstPromoter")).noneSatisfy(line -> assertThat(line).startsWith("v1 " + id + " "));
        assertThat(FIRSTPROMOTER.payoutUpdates(id)).isEmpty();
        assertThat(ledgerEntries(id)).isEqualTo(2);
    }

    @Test
    void deliveriesArrivingWhileReconciliationAppliesTheSameRewardsApplyEachOnce() throws Exception {
        List<Long> ids = addPayouts("credits", 30, id -> "acct-" + id);

        CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> {
            try {
                return reconcileNow();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> bodies = ids.stream().map(id -> delivery("credits.json", id, Map.of("promoter.cust_id", "acct-" + id))).toList();
        List<HttpResponse<String>> answers = postAtOnce(bodies, answer -> answer);
        String summary = run.get();

        answers.forEach(a -> assertThat(a.statusCode()).as(a.body()).isIn(200, 503));
        assertThat(summary).contains("failed 0");
        // Applied once each, whoever came first; every one closed: by the delivery's own 200, or by the notice.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            for (int i = 0; i < ids.size(); i++) {
                long id = ids.get(i);
                assertThat(ledgerEntries(id)).as("fulfilment %d", id).isEqualTo(2);
                boolean deliveryApplied = answers.get(i).statusCode() == 200 && !answers.get(i).body().contains("before");
                assertThat(FIRSTPROMOTER.payoutUpdates(id).size()).as("payout %d's updates", id).isLessThanOrEqualTo(1);
                assertThat(deliveryApplied || FIRSTPROMOTER.payoutUpdates(id).size() == 1).as("payout %d closed", id).isTrue();
            }
        });
    }

    @Test
    void unknownPendingCashIsCountedAndNamedNeverQueued(CapturedOutput output) throws Exception {
        long cash = nextId();
        FIRSTPROMOTER.addPayout(cash, "cash", "3000", CREATED, 7002, email(cash), null);
        long cashUnknownBefore = counter("cash_unknown");

        String summary = reconcileNow();

        assertThat(summary).contains("cash_unknown 1").contains("fulfilments " + cash + ")");
        assertThat(output.getAll()).contains("fulfilments " + cash + ")");
        assertThat(state(cash)).isNull();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox WHERE fulfilment_id = ?", Integer.class, cash)).isZero();
        assertThat(FIRSTPROMOTER.payoutUpdates(cash)).isEmpty();
        assertThat(counter("cash_unknown") - cashUnknownBefore).isEqualTo(1);
    }

    @Test
    void rewardsLeftOpenAtTheFrontOfTheListKeepNoNewerOneFromBeingRead() throws Exception {
        // More unknown cash, oldest first, than a run reads for (200 at first): left open in FirstPromoter, every run.
        List<Long> cash = addPayouts("cash", 230, id -> null);
        long credits = nextId();
        FIRSTPROMOTER.addPayout(credits, "credits", "20", CREATED.plus(Duration.ofHours(1)), 7100, email(credits), null);

        String summary = reconcileNow();

        assertThat(summary).contains("applied 1,").contains("cash_unknown 230");
        assertThat(ledgerEntries(credits)).isEqualTo(2);
        awaitClosed(List.of(credits));
        assertThat(cash).allSatisfy(id -> assertThat(state(id)).isNull());
    }

    @Test
    void aCashPayoutStuckInItsDeliveryIsLeftNotQueuedFromTheList() throws Exception {
        long cash = nextId();
        FIRSTPROMOTER.addPayout(cash, "cash", "3000", CREATED, 7006, email(cash), null);
        // A delivery that claimed it and crashed: received, its lease run out.
        jdbc.update("INSERT INTO fulfilments (source, fulfilment_id, unit, amount, promoter_id, state, lease_until, created_at, updated_at) "
                + "VALUES ('v1', ?, 'cash', 3000, 7006, ?, ?, ?, ?)", cash, "RECEIVED",
                java.sql.Timestamp.from(Instant.now().minusSeconds(3600)), java.sql.Timestamp.from(Instant.now().minusSeconds(3600)),
                java.sql.Timestamp.from(Instant.now().minusSeconds(3600)));

        String summary = reconcileNow();

        assertThat(summary).contains("left 1,").contains("applied 0,");
        assertThat(state(cash)).isEqualTo("RECEIVED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox WHERE fulfilment_id = ?", Integer.class, cash)).isZero();
    }

    @Test
    void rewardsCreatedBeforeSinceOrWithinTheGraceAreLeft() throws Exception {
        long old = nextId();
        long young = nextId();
        FIRSTPROMOTER.addPayout(old, "credits", "20", Instant.parse("2025-12-31T23:59:59Z"), 7003, email(old), null);
        FIRSTPROMOTER.addPayout(young, "credits", "20", Instant.now(), 7004, email(young), null);

        String summary = reconcileNow();

        assertThat(summary).contains("0 open rewards to act on (1 created before since 2026-01-01T00:00:00Z and 1 within the grace");
        assertThat(state(old)).isNull();
        assertThat(state(young)).isNull();
        // Only these two: a notice an earlier test made due may still reach the stand-in now.
        assertThat(FIRSTPROMOTER.payoutUpdates(old)).isEmpty();
        assertThat(FIRSTPROMOTER.payoutUpdates(young)).isEmpty();
    }

    @Test
    void firstPromoterDownMidReadStopsTheRunWithNothingAppliedAndTheNextFinishes() throws Exception {
        List<Long> ids = addPayouts("points", 50, id -> null);
        FIRSTPROMOTER.failListReadsFrom(2, 503, null);

        String stopped = reconcileNow();

        assertThat(stopped).contains("stopped while reading: API v1's payouts list (page 2) answered 503");
        ids.forEach(id -> assertThat(state(id)).isNull());

        FIRSTPROMOTER.healLists();
        String finished = reconcileNow();
        assertThat(finished).contains("applied 50,");
        awaitClosed(ids);
        ids.forEach(id -> assertThat(ledgerEntries(id)).isEqualTo(2));
    }

    @Test
    void a429EndsTheRunAndTheNextWaitsItsRetryAfter() throws Exception {
        List<Long> ids = addPayouts("credits", 3, id -> null);
        FIRSTPROMOTER.failListReadsFrom(1, 429, 3);

        String limited = reconcileNow();
        Instant endedAt = Instant.now();
        assertThat(limited).contains("answered 429 Too Many Requests: the next run waits 3 s");
        FIRSTPROMOTER.healLists();
        int readsBefore = FIRSTPROMOTER.listReads().size();

        String next = reconcileNow();

        assertThat(Duration.between(endedAt, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(2500));
        assertThat(next).contains("applied 3,");
        // One page of 3 and no Link header: page 2 asked, empty, the last.
        assertThat(FIRSTPROMOTER.listReads()).hasSize(readsBefore + 2);
        awaitClosed(ids);
    }

    @Test
    void aRewardClosedByTheBridgeAndOpenAgainIsListedNeverClosedAgain() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.addPayout(id, "credits", "20", CREATED, 7005, email(id), null);
        assertThat(reconcileNow()).contains("applied 1,");
        awaitClosed(List.of(id));
        await().atMost(Duration.ofSeconds(5)).until(() -> "SENT".equals(jdbc.queryForObject(
                "SELECT firstpromoter_notice FROM fulfilments WHERE source = 'v1' AND fulfilment_id = ?", String.class, id)));
        FIRSTPROMOTER.reopen(id);

        String summary = reconcileNow();

        assertThat(summary).contains("reopened 1,").contains("applied 0,");
        assertThat(attribute("ReopenedInFirstPromoter")).anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " credits GRANTED"));
        Thread.sleep(500); // several notice polls: no second close is sent
        assertThat(FIRSTPROMOTER.payoutUpdates(id)).hasSize(1);
        assertThat(ledgerEntries(id)).isEqualTo(2);
        assertThat(attribute("LastReconciliation")).anySatisfy(line -> assertThat(line).startsWith("v1 run ").contains("reopened 1,"));
    }

    @Test
    void aRunAnotherInstanceHoldsIsLeftUntilItsLeaseRunsOutThenTakenUp() throws Exception {
        List<Long> ids = addPayouts("credits", 3, id -> null);
        // As if another instance's run had been killed midway: its lease, on the database's clock, runs out in 3 s.
        await().atMost(Duration.ofSeconds(5)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM reconciliation_runs WHERE source = 'v1'", Integer.class) == 1);
        Instant leaseEnds = Instant.now().plusSeconds(3);
        jdbc.update("UPDATE reconciliation_runs SET lease_holder = 'killed-instance', lease_until = ? WHERE source = 'v1'",
                java.sql.Timestamp.from(leaseEnds));

        String summary = reconcileNow();

        assertThat(summary).contains("applied 3,");
        assertThat(FIRSTPROMOTER.listReads()).isNotEmpty()
                .allSatisfy(read -> assertThat(read.getLoggedDate().toInstant()).isAfterOrEqualTo(leaseEnds.minusMillis(50)));
        awaitClosed(ids);
        ids.forEach(id -> assertThat(ledgerEntries(id)).isEqualTo(2));
    }
}
