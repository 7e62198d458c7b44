package io.fulfilmentbridge.fulfilment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fulfilmentbridge.payout.PayoutAnomalies;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Each statement that changes one fulfilment names its source: a legacy fulfilment (v1) and a v2
 * commission of the same number, one acted on, the other's row left exactly as it was. Statements
 * guarded by a claim's lease would be kept apart by the lease token alone, so those tests give the
 * other row the same token first: only the source tells them apart. The real record keepers (RealRecords)
 * on an in-memory H2 database with the bridge's migrations; no Spring context (the billing grants' own:
 * BillingGrantsSourcesTest).
 */
class SourceFiltersTest {

    private static final FulfilmentSettings SETTINGS = new FulfilmentSettings(Duration.ofSeconds(9), Duration.ofSeconds(15),
            Duration.ofHours(1), new FulfilmentSettings.Limits(24, new BigDecimal("100000"), 1_000_000, 100_000, 100),
            new FulfilmentSettings.GroupCommit(100, 2), "classpath:routes", Duration.ofDays(30));
    private static final FulfilmentKey V1 = FulfilmentKey.pending(92);
    private static final FulfilmentKey V2 = new FulfilmentKey(Source.COMMISSION, 92);

    private final DriverManagerDataSource database = migrated(new DriverManagerDataSource("jdbc:h2:mem:filters-" + UUID.randomUUID()
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1"));
    private final JdbcTemplate jdbc = new JdbcTemplate(database);
    private final TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(database));
    private final RealRecords records = RealRecords.on(jdbc, transaction, new SimpleMeterRegistry(), SETTINGS);
    private final Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));

    private static DriverManagerDataSource migrated(DriverManagerDataSource database) {
        Flyway.configure().dataSource(database).locations("classpath:db/migration").load().migrate();
        return database;
    }

    @AfterEach
    void stop() throws InterruptedException {
        records.stop();
        jdbc.execute("SHUTDOWN");
    }

    private static FulfilmentKey other(FulfilmentKey key) {
        return key == V1 ? V2 : V1;
    }

    private Claim claim(FulfilmentKey key, String unit) throws Exception {
        Claim claim = records.claims().claim(new Fulfilment(key, "evt-" + key, unit, new BigDecimal(key == V1 ? "15" : "25"), "pending",
                7L, "cus_" + key.source().ledgerSource(), null), deadline);
        assertTrue(claim.held());
        return claim;
    }

    private Map<String, Object> row(FulfilmentKey key) {
        return jdbc.queryForMap("SELECT * FROM fulfilments WHERE source = ? AND fulfilment_id = ?", key.source().ledgerSource(), key.id());
    }

    private Object column(FulfilmentKey key, String column) {
        return row(key).get(column);
    }

    /** The other row holds the same lease token: only the source tells the two apart. */
    private void sameLease(Claim claim) {
        jdbc.update("UPDATE fulfilments SET lease_holder = ? WHERE source = ? AND fulfilment_id = ?", claim.lease(),
                other(claim.key()).source().ledgerSource(), claim.key().id());
    }

    /** Runs the action on one key's row; asserts the other key's row did not change at all. */
    private void actOn(FulfilmentKey acted, Runnable action) {
        Map<String, Object> before = row(other(acted));
        action.run();
        assertEquals(before, row(other(acted)));
    }

    private Claim[] bothClaimed(String unit) throws Exception {
        return new Claim[] {claim(V1, unit), claim(V2, unit)};
    }

    // Under a claim's lease.

    @Test
    void park() throws Exception {
        Claim v1 = bothClaimed("credits")[0];
        sameLease(v1);
        actOn(V1, () -> records.lifecycle().park(v1, "parked for the test", deadline));
        assertEquals("PARKED", column(V1, "state"));
    }

    @Test
    void markGranted() throws Exception {
        Claim v2 = bothClaimed("credits")[1];
        sameLease(v2);
        actOn(V2, () -> records.lifecycle().markGranted(v2));
        assertEquals("GRANTED", column(V2, "state"));
    }

    @Test
    void markQueued() throws Exception {
        Claim v1 = bothClaimed("cash")[0];
        sameLease(v1);
        actOn(V1, () -> records.lifecycle().markQueued(v1));
        assertEquals("QUEUED", column(V1, "state"));
    }

    @Test
    void release() throws Exception {
        Claim v2 = bothClaimed("credits")[1];
        sameLease(v2);
        Object leasedUntil = column(V2, "lease_until");
        actOn(V2, () -> records.claims().release(v2, deadline));
        assertNotEquals(leasedUntil, column(V2, "lease_until"));
    }

    // Without a lease: only the key and the state the caller saw.

    @Test
    void settleGranted() throws Exception {
        bothClaimed("free_months");
        actOn(V1, () -> records.lifecycle().settleGranted(V1));
        assertEquals("GRANTED", column(V1, "state"));
    }

    @Test
    void settleParked() throws Exception {
        bothClaimed("free_months");
        actOn(V2, () -> records.lifecycle().settleParked(V2, "Stripe refused"));
        assertEquals("PARKED", column(V2, "state"));
    }

    @Test
    void reverse() throws Exception {
        for (Claim claim : bothClaimed("credits")) {
            records.lifecycle().markGranted(claim);
        }
        actOn(V2, () -> transaction.executeWithoutResult(tx -> records.reversals().reverseRecord(V2, "refunded")));
        assertEquals("REVERSED", column(V2, "state"));
        assertEquals("refunded", column(V2, "reversal_note"));
    }

    /** Both reversed and listed for review, as free months are. */
    private void bothReversedToReview(String unit) throws Exception {
        for (Claim claim : bothClaimed(unit)) {
            if ("cash".equals(unit)) {
                records.lifecycle().markQueued(claim);
            } else {
                records.lifecycle().markGranted(claim);
            }
            transaction.executeWithoutResult(tx -> records.reversals().reverseRecord(claim.key(), "refunded"));
        }
    }

    @Test
    void dismissReversalReview() throws Exception {
        bothReversedToReview("free_months");
        assertEquals(Reversal.BILLING_REVIEW, column(V2, "reason"));
        actOn(V1, () -> assertTrue(records.reversals().dismissReversalReview(V1)));
        assertNull(column(V1, "reason"));
    }

    @Test
    void payoutWithdrawn() throws Exception {
        bothReversedToReview("cash");
        actOn(V2, () -> records.reversals().payoutWithdrawn(new Reversal(V2, Reversal.Found.PAYOUT_QUEUED, "cash", null), 1));
        assertNull(column(V2, "reason"));
    }

    @Test
    void aDeliveryOfAReversedFulfilmentListsOnlyItsOwnRow() throws Exception {
        bothReversedToReview("free_months");
        actOn(V1, () -> {
            try {
                claimedAgain(V1, "free_months");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(((String) column(V1, "reason")).startsWith(CommissionDecisions.REDELIVERED_AFTER_REVERSAL));
    }

    private Claim claimedAgain(FulfilmentKey key, String unit) throws Exception {
        return records.claims().claim(new Fulfilment(key, "evt-again", unit, BigDecimal.ONE, "pending", 7L, null, null), deadline);
    }

    @Test
    void claimForReplay() throws Exception {
        for (Claim claim : bothClaimed("credits")) {
            records.lifecycle().park(claim, "parked for the test", deadline);
        }
        FulfilmentClaims.Replay[] replay = new FulfilmentClaims.Replay[1];
        actOn(V2, () -> replay[0] = records.claims().claimForReplay(V2));
        assertTrue(replay[0].claim().held());
        assertEquals(V2, replay[0].fulfilment().key());
        assertEquals(new BigDecimal("25"), replay[0].fulfilment().amount());
        assertEquals("RECEIVED", column(V2, "state"));
    }

    // A payout's results and FirstPromoter's notice.

    private void bothQueued() throws Exception {
        for (Claim claim : bothClaimed("cash")) {
            records.lifecycle().markQueued(claim);
        }
    }

    @Test
    void lockForPayoutResult() throws Exception {
        Claim[] claims = bothClaimed("cash");
        records.lifecycle().markQueued(claims[0]);
        records.lifecycle().park(claims[1], "parked for the test", deadline);
        assertEquals(FulfilmentState.PARKED, transaction.execute(tx -> records.payouts().lockForPayoutResult(V2)).orElseThrow().state());
        assertEquals(FulfilmentState.QUEUED, transaction.execute(tx -> records.payouts().lockForPayoutResult(V1)).orElseThrow().state());
    }

    @Test
    void markPaid() throws Exception {
        bothQueued();
        actOn(V1, () -> records.payouts().markPaid(V1, "po_1", false));
        assertEquals("PAID", column(V1, "state"));
        assertEquals("DUE", column(V1, "firstpromoter_notice"));
    }

    @Test
    void markPaidKeepingNotice() throws Exception {
        bothQueued();
        actOn(V2, () -> records.payouts().markPaidKeepingNotice(V2, "po_2"));
        assertEquals("PAID", column(V2, "state"));
    }

    @Test
    void recordPayoutReference() throws Exception {
        bothQueued();
        actOn(V1, () -> records.payouts().recordPayoutReference(V1, "po_1"));
        assertEquals("po_1", column(V1, "payout_reference"));
    }

    @Test
    void markFailed() throws Exception {
        bothQueued();
        actOn(V2, () -> records.payouts().markFailed(V2, "payout failed", "po_2"));
        assertEquals("FAILED", column(V2, "state"));
    }

    /** Both paid with FirstPromoter's notice due. */
    private void bothNoticesDue() throws Exception {
        bothQueued();
        records.payouts().markPaid(V1, "po_1", false);
        records.payouts().markPaid(V2, "po_2", false);
    }

    @Test
    void takeNoticeAttempt() throws Exception {
        bothNoticesDue();
        actOn(V2, () -> assertTrue(records.notices().takeNoticeAttempt(V2, 0, Instant.now().plusSeconds(60))));
        assertEquals(1, ((Number) column(V2, "firstpromoter_attempts")).intValue());
    }

    @Test
    void noticeSent() throws Exception {
        bothNoticesDue();
        jdbc.update("UPDATE fulfilments SET firstpromoter_attempts = 1");
        actOn(V1, () -> records.notices().noticeSent(V1, 1));
        assertEquals("SENT", column(V1, "firstpromoter_notice"));
    }

    @Test
    void noticeGaveUp() throws Exception {
        bothNoticesDue();
        jdbc.update("UPDATE fulfilments SET firstpromoter_attempts = 1");
        actOn(V2, () -> records.notices().noticeGaveUp(V2, 1));
        assertEquals("GAVE_UP", column(V2, "firstpromoter_notice"));
    }

    @Test
    void payoutAnomalies() throws Exception {
        bothQueued();
        for (FulfilmentKey key : new FulfilmentKey[] {V1, V2}) {
            jdbc.update("""
                    INSERT INTO payout_anomalies (source, fulfilment_id, attempt, kind, reason, reference, created_at)
                    VALUES (?, ?, 1, 'older_attempt', ?, ?, CURRENT_TIMESTAMP)""", key.source().ledgerSource(), key.id(),
                    "paid twice " + key.source().ledgerSource(), "po_" + key.source().ledgerSource());
        }
        PayoutAnomalies anomalies = new PayoutAnomalies(jdbc, new SimpleMeterRegistry());
        // Each anomaly is listed once, joined to its own fulfilment: its amount as received.
        assertEquals(List.of("v1 92 15", "v2 92 25"), anomalies.rows().stream()
                .map(r -> r.source().ledgerSource() + " " + r.fulfilmentId() + " " + r.amount()).sorted().toList());

        Map<String, Object> v2Before = jdbc.queryForMap("SELECT * FROM payout_anomalies WHERE source = 'v2'");
        assertEquals("dismissed: the payout anomaly of fulfilment 92 attempt 1", anomalies.dismiss(V1, 1));
        assertEquals(v2Before, jdbc.queryForMap("SELECT * FROM payout_anomalies WHERE source = 'v2'"));
        assertEquals(List.of("v2 92 25"), anomalies.rows().stream()
                .map(r -> r.source().ledgerSource() + " " + r.fulfilmentId() + " " + r.amount()).toList());
    }
}
