package io.fulfilmentbridge.fulfilment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.stripe.model.Subscription;
import io.fulfilmentbridge.ledger.CreditLedger;
import io.fulfilmentbridge.stripe.StripeCalls;
import io.fulfilmentbridge.stripe.StripeSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Fulfilments are keyed by (source, id): a webhooks-v2 commission and a legacy fulfilment of the same
 * number are two claims, two rows, two pairs of ledger entries and two Stripe idempotency keys. On an
 * in-memory H2 database with the bridge's migrations (V9 included), the real record keepers (RealRecords) and the
 * real credit ledger (CreditLedger).
 */
class SourceKeysTest {

    private static final FulfilmentSettings SETTINGS = new FulfilmentSettings(Duration.ofSeconds(9), Duration.ofSeconds(15),
            Duration.ofHours(1), new FulfilmentSettings.Limits(24, new BigDecimal("100000"), 1_000_000, 100_000, 100),
            new FulfilmentSettings.GroupCommit(100, 2), "classpath:routes", Duration.ofDays(30));

    private final DriverManagerDataSource database = new DriverManagerDataSource("jdbc:h2:mem:sources-" + UUID.randomUUID()
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
    private final JdbcTemplate jdbc = new JdbcTemplate(database);
    private final TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(database));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final RealRecords records = RealRecords.on(jdbc, transaction, meters, SETTINGS);
    private final CreditLedger ledger = new CreditLedger(new RewardLimits(SETTINGS), records.claims(), records.lifecycle(), jdbc,
            transaction, meters, SETTINGS);
    private final Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));

    private static final FulfilmentKey LEGACY = FulfilmentKey.pending(92);
    private static final FulfilmentKey COMMISSION = new FulfilmentKey(Source.COMMISSION, 92);

    @BeforeEach
    void migrate() {
        Flyway.configure().dataSource(database).locations("classpath:db/migration").load().migrate();
    }

    private CreditLedger ledger() {
        return ledger;
    }

    private static Fulfilment credits(FulfilmentKey key, String amount, String custId) {
        return new Fulfilment(key, "evt-" + key, "credits", new BigDecimal(amount), "pending", 7L, custId, null);
    }

    @Test
    void theSameNumberOfTwoSourcesIsTwoClaimsAndTwoRows() throws Exception {
        Claim legacy = records.claims().claim(credits(LEGACY, "15", "cus_legacy"), deadline);
        Claim commission = records.claims().claim(credits(COMMISSION, "25", "cus_commission"), deadline);

        assertTrue(legacy.held());
        assertTrue(commission.held());
        assertEquals(LEGACY, legacy.key());
        assertEquals(COMMISSION, commission.key());
        assertEquals(List.of(Map.of("source", "v1", "state", "RECEIVED", "amount_received", "15"),
                        Map.of("source", "v2", "state", "RECEIVED", "amount_received", "25")),
                jdbc.queryForList("SELECT source, state, amount_received FROM fulfilments WHERE fulfilment_id = 92 ORDER BY source"));
    }

    @Test
    void grantingOneLeavesTheOtherReceivedAndEachAnswersFromItsOwnRow() throws Exception {
        CreditLedger ledger = ledger();
        Fulfilment legacyReward = credits(LEGACY, "15", "cus_legacy");
        Fulfilment commissionReward = credits(COMMISSION, "25", "cus_commission");
        Claim legacy = records.claims().claim(legacyReward, deadline);
        Claim commission = records.claims().claim(commissionReward, deadline);

        ledger.credit(commissionReward, commission, deadline);

        assertEquals("GRANTED", state(COMMISSION));
        assertEquals("RECEIVED", state(LEGACY));
        // The legacy claim is still held: its lease guards its own row only.
        records.lifecycle().park(legacy, "parked for the test", deadline);
        assertEquals("PARKED", state(LEGACY));
        assertEquals("GRANTED", state(COMMISSION));

        Claim commissionAgain = records.claims().claim(commissionReward, deadline);
        assertFalse(commissionAgain.held());
        assertEquals(Outcome.GRANTED, commissionAgain.answer().outcome());
        // A parked fulfilment delivered again is claimed afresh, from its own row.
        Claim legacyAgain = records.claims().claim(legacyReward, deadline);
        assertTrue(legacyAgain.held());
        assertEquals("RECEIVED", state(LEGACY));
        assertEquals("GRANTED", state(COMMISSION));
        assertEquals(List.of(COMMISSION), List.copyOf(granted()));
    }

    @Test
    void ledgerEntriesOfBothKeepTheirSourcesApart() throws Exception {
        CreditLedger ledger = ledger();
        Fulfilment legacyReward = credits(LEGACY, "15", "cus_legacy");
        Fulfilment commissionReward = credits(COMMISSION, "25", "cus_commission");
        Claim legacy = records.claims().claim(legacyReward, deadline);
        Claim commission = records.claims().claim(commissionReward, deadline);

        ledger.credit(legacyReward, legacy, deadline);
        ledger.credit(commissionReward, commission, deadline);

        assertEquals("GRANTED", state(LEGACY));
        assertEquals("GRANTED", state(COMMISSION));
        List<Map<String, Object>> entries = jdbc.queryForList("""
                SELECT source, account_kind, account, CAST(amount AS INTEGER) AS amount FROM ledger_entries
                WHERE fulfilment_id = 92 ORDER BY source, account_kind""");
        assertEquals(List.of(
                Map.of("source", "v1", "account_kind", "FUNDING", "account", "credits", "amount", -15),
                Map.of("source", "v1", "account_kind", "PROMOTER", "account", "cus_legacy", "amount", 15),
                Map.of("source", "v2", "account_kind", "FUNDING", "account", "credits", "amount", -25),
                Map.of("source", "v2", "account_kind", "PROMOTER", "account", "cus_commission", "amount", 25)), entries);
    }

    @Test
    void parkedFulfilmentsAreListedWithTheirSource() throws Exception {
        Claim legacy = records.claims().claim(credits(LEGACY, "15", "cus_legacy"), deadline);
        Claim commission = records.claims().claim(credits(COMMISSION, "25", "cus_commission"), deadline);
        records.lifecycle().park(commission, "the same reason", deadline);
        records.lifecycle().park(legacy, "the same reason", deadline);

        assertEquals(List.of(COMMISSION, LEGACY), records.queries().parkedWithReason("the same reason"));
    }

    @Test
    void aCommissionsStripeKeyAndMarkerAreItsOwn() {
        StripeCalls stripe = new StripeCalls(meters, new StripeSettings(null, "https://api.stripe.com", "app_user_id",
                "trial-extension", "fulfilment-", Duration.ofHours(23), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                io.fulfilmentbridge.tracing.Spans.off());
        assertEquals("fulfilment-92", stripe.idempotencyKey(LEGACY, 1));
        assertEquals("commission-92", stripe.idempotencyKey(COMMISSION, 1));
        assertEquals("commission-92-2", stripe.idempotencyKey(COMMISSION, 2));

        Subscription marked = new Subscription();
        marked.setMetadata(Map.of("firstpromoter_commission_id", "92"));
        assertTrue(StripeCalls.carriesGrant(marked, COMMISSION));
        assertFalse(StripeCalls.carriesGrant(marked, LEGACY));
        marked.setMetadata(Map.of("firstpromoter_fulfilment_id", "92"));
        assertTrue(StripeCalls.carriesGrant(marked, LEGACY));
        assertFalse(StripeCalls.carriesGrant(marked, COMMISSION));
    }

    private String state(FulfilmentKey key) {
        return jdbc.queryForObject("SELECT state FROM fulfilments WHERE source = ? AND fulfilment_id = ?", String.class,
                key.source().ledgerSource(), key.id());
    }

    /** The keys of the granted fulfilments, read with their source. */
    private List<FulfilmentKey> granted() {
        return jdbc.query("SELECT source, fulfilment_id FROM fulfilments WHERE state = 'GRANTED'",
                (rs, n) -> new FulfilmentKey(Source.ofColumn(rs.getString(1)), rs.getLong(2)));
    }
}
