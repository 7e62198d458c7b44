package io.fulfilmentbridge.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.model.Subscription;
import io.fulfilmentbridge.OwnDatabase;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.GrantSends;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.stripe.StripeCalls;
import io.fulfilmentbridge.stripe.StripeSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * V14 on a database that holds Stripe grants and a Stripe customer lock in their old tables: every row
 * moves to billing_grants, billing_sends and billing_customer_locks with what Stripe's idempotency keys
 * and markers are made of, and the old tables are gone. On the test pass's database: PostgreSQL where
 * BRIDGE_TEST_DATASOURCE_URL names one (CI's second pass, as bridge-test.properties reads it), in a
 * schema of its own dropped afterwards; else H2 in memory, in PostgreSQL mode as the bridge runs it.
 */
class StripeOnBillingGrantsMigrationTest {

    private static final FulfilmentSettings FULFILMENT = new FulfilmentSettings(Duration.ofSeconds(9), Duration.ofSeconds(15),
            Duration.ofHours(1), new FulfilmentSettings.Limits(24, new BigDecimal("100000"), 1_000_000, 100_000, 100),
            new FulfilmentSettings.GroupCommit(100, 2), "classpath:routes", Duration.ofDays(30));
    private static final StripeCalls STRIPE = new StripeCalls(new SimpleMeterRegistry(), new StripeSettings(null,
            "https://api.stripe.com", "app_user_id", "trial-extension", "fulfilment-", Duration.ofHours(23),
            Duration.ofSeconds(2), Duration.ofSeconds(5)), io.fulfilmentbridge.tracing.Spans.off());

    private static final Instant CREATED = Instant.parse("2026-11-30T08:00:00Z");
    private static final Instant KEY_SENT = Instant.parse("2026-12-01T09:30:00Z");
    private static final Instant UPDATED = Instant.parse("2026-12-01T09:30:05Z");
    private static final Instant LOCKED_UNTIL = Instant.parse("2026-12-01T09:31:00Z");
    private static final long TRIAL_END = 1_900_000_000L;

    private final OwnDatabase database = new OwnDatabase("v14");
    private final JdbcTemplate jdbc = database.jdbc();

    @AfterEach
    void drop() {
        database.drop();
    }

    @Test
    void stripesGrantsAndLocksMoveToTheSharedTablesWithTheirKeysAndMarkers() {
        database.flyway().target("13").load().migrate();
        // As StripeGrants wrote them: a trial extension re-sent under its second key, its answer lost; a
        // v2 balance credit stored before key_sent_at existed (V6), applied; a discount of a credit whose
        // answer was lost; a v2 coupon added under its third key.
        insertOld("v1", 501, "cus_a", "sub_a", "trial-extension", 2, TRIAL_END, null, null, null, "SENT", 2, KEY_SENT);
        insertOld("v2", 501, "cus_b", "sub_b", "balance-credit", 1, null, 2500L, "usd", null, "APPLIED", 1, null);
        insertOld("v1", 502, "cus_c", "sub_c", "mon-discount", 0, null, 700L, "eur", null, "SENT", 1, KEY_SENT);
        insertOld("v2", 503, "cus_a", "sub_a", "discount-per", 0, null, null, null, "firstpromoter-15-percent-once",
                "APPLIED", 3, KEY_SENT);
        jdbc.update("INSERT INTO stripe_customer_locks (customer_id, holder, locked_until) VALUES (?, ?, ?)",
                "cus_a", "holder-1", Timestamp.from(LOCKED_UNTIL));

        database.flyway().load().migrate();

        assertThat(jdbc.query("SELECT * FROM billing_grants ORDER BY fulfilment_id, source", (rs, n) -> List.of(
                rs.getString("source") + " " + rs.getLong("fulfilment_id"), rs.getString("billing_system"),
                rs.getString("customer_id"), rs.getString("subscription_id"), rs.getString("kind"), rs.getInt("months"),
                String.valueOf(rs.getTimestamp("base_at")), String.valueOf(instant(rs.getTimestamp("target_at"))),
                String.valueOf(rs.getObject("credit_amount")), String.valueOf(rs.getString("currency")),
                String.valueOf(rs.getString("coupon_id")), rs.getString("state"), rs.getInt("key_generation"),
                instant(rs.getTimestamp("key_sent_at")), instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("updated_at"))))).containsExactly(
                List.of("v1 501", "stripe", "cus_a", "sub_a", "trial-extension", 2, "null", "2030-03-17T17:46:40Z",
                        "null", "null", "null", "SENT", 2, KEY_SENT, CREATED, UPDATED),
                List.of("v2 501", "stripe", "cus_b", "sub_b", "balance-credit", 1, "null", "null", "2500", "usd",
                        "null", "APPLIED", 1, CREATED, CREATED, UPDATED),
                List.of("v1 502", "stripe", "cus_c", "sub_c", "mon-discount", 0, "null", "null", "700", "eur",
                        "null", "SENT", 1, KEY_SENT, CREATED, UPDATED),
                List.of("v2 503", "stripe", "cus_a", "sub_a", "discount-per", 0, "null", "null", "null", "null",
                        "firstpromoter-15-percent-once", "APPLIED", 3, KEY_SENT, CREATED, UPDATED));
        assertThat(Instant.parse("2030-03-17T17:46:40Z").getEpochSecond()).isEqualTo(TRIAL_END);

        // Read back as the Stripe adapter reads them: the idempotency key each is sent under next, and the
        // marker its own request left, which settles it.
        BillingGrants grants = new BillingGrants(jdbc, new DatabaseClock(jdbc), FULFILMENT);
        Map<FulfilmentKey, String> keys = Map.of(FulfilmentKey.pending(501), "fulfilment-501-2",
                new FulfilmentKey(Source.COMMISSION, 501), "commission-501", FulfilmentKey.pending(502), "fulfilment-502",
                new FulfilmentKey(Source.COMMISSION, 503), "commission-503-3");
        keys.forEach((key, idempotencyKey) -> {
            BillingGrant grant = grants.find(key).orElseThrow();
            assertThat(STRIPE.idempotencyKey(grant.key(), grant.keyGeneration())).isEqualTo(idempotencyKey);
            String markerKey = key.source() == Source.COMMISSION ? "firstpromoter_commission_id" : "firstpromoter_fulfilment_id";
            assertThat(StripeCalls.carriesGrant(marked(markerKey, Long.toString(key.id())), grant.key())).isTrue();
            assertThat(StripeCalls.carriesGrant(marked(markerKey, "9" + key.id()), grant.key())).isFalse();
        });
        assertThat(grants.find(FulfilmentKey.pending(501)).orElseThrow().targetAt()).isEqualTo(Instant.ofEpochSecond(TRIAL_END));
        assertThat(grants.find(FulfilmentKey.pending(502)).orElseThrow().keySentAt()).isEqualTo(KEY_SENT);

        // Each grant whose answer was lost is one unanswered send at its key's first send: its stuck
        // approval's denial waits bridge.billing.may-land-for from then, as before.
        assertThat(jdbc.query("SELECT * FROM billing_sends ORDER BY fulfilment_id", (rs, n) -> List.of(
                rs.getString("billing_system"), rs.getString("customer_id"), rs.getString("source"), rs.getLong("fulfilment_id"),
                instant(rs.getTimestamp("sent_at")), rs.getBoolean("answered")))).containsExactly(
                List.of("stripe", "cus_a", "v1", 501L, KEY_SENT, false),
                List.of("stripe", "cus_c", "v1", 502L, KEY_SENT, false));
        BillingSends sends = new BillingSends(jdbc, new DatabaseClock(jdbc), new BillingSettings("stripe", Duration.ofMinutes(2)));
        GrantSends.Send stuck = new BillingGrantSends(grants, sends).find(FulfilmentKey.pending(501)).orElseThrow();
        assertThat(stuck).isEqualTo(new GrantSends.Send("stripe", false, KEY_SENT.plus(Duration.ofMinutes(2))));

        assertThat(jdbc.queryForList("SELECT billing_system, customer_id, holder FROM billing_customer_locks"))
                .containsExactly(Map.of("billing_system", "stripe", "customer_id", "cus_a", "holder", "holder-1"));
        assertThat(jdbc.queryForObject("SELECT locked_until FROM billing_customer_locks", Timestamp.class).toInstant())
                .isEqualTo(LOCKED_UNTIL);
        String current = jdbc.execute((java.sql.Connection c) -> c.getSchema());
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_schema) = LOWER(?) "
                + "AND LOWER(table_name) IN ('stripe_grants', 'stripe_customer_locks')", Integer.class, current)).isZero();
    }

    private void insertOld(String source, long id, String customer, String subscription, String strategy, int months,
                           Long trialEnd, Long credit, String currency, String coupon, String state, int generation,
                           Instant keySentAt) {
        jdbc.update("""
                INSERT INTO stripe_grants (source, fulfilment_id, customer_id, subscription_id, strategy, months, trial_end,
                    credit_amount, currency, coupon_id, state, key_generation, key_sent_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                source, id, customer, subscription, strategy, months, trialEnd, credit, currency, coupon, state, generation,
                keySentAt == null ? null : Timestamp.from(keySentAt), Timestamp.from(CREATED), Timestamp.from(UPDATED));
    }

    private static Subscription marked(String key, String value) {
        Subscription subscription = new Subscription();
        subscription.setMetadata(Map.of(key, value));
        return subscription;
    }

    private static Instant instant(Timestamp at) {
        return at == null ? null : at.toInstant();
    }
}
