package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;

/**
 * What the bridge stores about its grants in the billing systems (billing_grants), and the
 * per-customer lock that applies grants to one customer one at a time across instances. Each call is
 * its own short statement: no connection is held while the billing system is called. Its times are
 * the database's, which every instance shares (docs/promises.md, "One clock").
 */
@Component
public class BillingGrants {

    private static final RowMapper<BillingGrant> GRANT = (rs, n) -> new BillingGrant(
            new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id")),
            rs.getString("billing_system"), rs.getString("customer_id"), rs.getString("subscription_id"),
            rs.getString("kind"), rs.getInt("months"), instant(rs.getTimestamp("base_at")),
            instant(rs.getTimestamp("target_at")), (Long) rs.getObject("credit_amount", Long.class),
            rs.getString("currency"), rs.getString("coupon_id"), rs.getString("state"), rs.getInt("key_generation"),
            instant(rs.getTimestamp("key_sent_at")), instant(rs.getTimestamp("created_at")));

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final CustomerLocks locks;
    private final Duration lockLease;

    public BillingGrants(JdbcTemplate jdbc, DatabaseClock clock, FulfilmentSettings settings) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.lockLease = settings.claimLease();
        this.locks = new CustomerLocks(jdbc, clock, lockLease);
    }

    public Optional<BillingGrant> find(FulfilmentKey key) {
        return jdbc.query("SELECT * FROM billing_grants WHERE source = ? AND fulfilment_id = ?", GRANT,
                key.source().ledgerSource(), key.id()).stream().findFirst();
    }

    List<BillingGrant> unsettled(String system, String customerId) {
        return jdbc.query("SELECT * FROM billing_grants WHERE billing_system = ? AND customer_id = ? AND state = 'SENT' "
                + "ORDER BY created_at", GRANT, system, customerId);
    }

    /** Stores the grant as SENT under its first key, before it is sent; returns it as stored. */
    BillingGrant recordSent(BillingGrant grant) {
        Instant now = clock.now();
        Timestamp at = Timestamp.from(now);
        jdbc.update("""
                INSERT INTO billing_grants (source, fulfilment_id, billing_system, customer_id, subscription_id, kind, months,
                    base_at, target_at, credit_amount, currency, coupon_id, state, key_generation, key_sent_at, created_at,
                    updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'SENT', 1, ?, ?, ?)""",
                grant.key().source().ledgerSource(), grant.key().id(), grant.system(), grant.customerId(),
                grant.subscriptionId(), grant.kind(), grant.months(), timestamp(grant.baseAt()),
                timestamp(grant.targetAt()), grant.creditAmount(), grant.currency(), grant.couponId(), at, at, at);
        return new BillingGrant(grant.key(), grant.system(), grant.customerId(), grant.subscriptionId(), grant.kind(),
                grant.months(), grant.baseAt(), grant.targetAt(), grant.creditAmount(), grant.currency(),
                grant.couponId(), "SENT", 1, now, now);
    }

    /**
     * Stores that a grant not applied is sent again under its next idempotency key, with this base and
     * target (null for a credit), before it is sent; returns the grant as now stored.
     */
    public BillingGrant recordNextKey(BillingGrant grant, Instant baseAt, Instant targetAt) {
        Instant now = clock.now();
        int generation = grant.keyGeneration() + 1;
        jdbc.update("UPDATE billing_grants SET key_generation = ?, key_sent_at = ?, base_at = ?, target_at = ?, "
                        + "updated_at = ? WHERE source = ? AND fulfilment_id = ? AND state = 'SENT'",
                generation, Timestamp.from(now), timestamp(baseAt), timestamp(targetAt), Timestamp.from(now),
                grant.key().source().ledgerSource(), grant.key().id());
        return new BillingGrant(grant.key(), grant.system(), grant.customerId(), grant.subscriptionId(), grant.kind(),
                grant.months(), baseAt, targetAt, grant.creditAmount(), grant.currency(), grant.couponId(), grant.state(),
                generation, now, grant.storedAt());
    }

    /**
     * Whether a grant to the customer was stored, re-keyed or applied since the instant, less a lock
     * lease: the instant is this instance's clock, the rows' times the database's, trusted to agree
     * that closely.
     */
    public boolean changedSince(String system, String customerId, Instant since) {
        Integer changed = jdbc.queryForObject("SELECT COUNT(*) FROM billing_grants WHERE billing_system = ? "
                + "AND customer_id = ? AND updated_at >= ?", Integer.class, system, customerId,
                Timestamp.from(since.minus(lockLease)));
        return changed != null && changed > 0;
    }

    /** Marks the grant applied; the caller's transaction marks its fulfilment granted with it. */
    void markApplied(FulfilmentKey key) {
        jdbc.update("UPDATE billing_grants SET state = 'APPLIED', updated_at = ? WHERE source = ? AND fulfilment_id = ?",
                Timestamp.from(clock.now()), key.source().ledgerSource(), key.id());
    }

    /** A grant the system refused never took effect: forgotten, so the fulfilment can be evaluated afresh. */
    void forget(FulfilmentKey key) {
        jdbc.update("DELETE FROM billing_grants WHERE source = ? AND fulfilment_id = ? AND state = 'SENT'",
                key.source().ledgerSource(), key.id());
    }

    /** Takes the customer's lock, waiting for it within the time left; throws {@link RetryLater} otherwise. */
    void lockCustomer(String system, String customerId, String holder, long deadlineEpochMillis)
            throws InterruptedException {
        locks.lock(system, customerId, holder, deadlineEpochMillis,
                "another grant to the same " + system + " customer is being applied; retry later");
    }

    void unlockCustomer(String system, String customerId, String holder) {
        locks.unlock(system, customerId, holder);
    }

    private static Instant instant(Timestamp at) {
        return at == null ? null : at.toInstant();
    }

    private static Timestamp timestamp(Instant at) {
        return at == null ? null : Timestamp.from(at);
    }
}
