package io.fulfilmentbridge.stripe;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.billing.CustomerLocks;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;

/**
 * What the bridge stores about its Stripe grants: each grant with its target before it is sent, and
 * the per-customer lock that applies grants to one customer one at a time across instances. Each
 * call is its own short statement: no connection is held while Stripe is called.
 */
@Component
public class StripeGrants {

    /**
     * A grant as stored: SENT (the answer may have been lost) or APPLIED. keyGeneration says which
     * idempotency key it was last sent with, keySentAt when that key was first sent, storedAt when the
     * grant was first stored (before its first send). couponId is the coupon a discount-per grant adds
     * to the subscription (null for the other strategies); months is 0 for discounts. key: the
     * fulfilment's, with its source (stripe_grants is keyed by both since V9).
     */
    public record Grant(FulfilmentKey key, String customerId, String subscriptionId, String strategy, int months,
                        Long trialEnd, Long creditAmount, String currency, String state, int keyGeneration,
                        Instant keySentAt, Instant storedAt, String couponId) {
        boolean applied() {
            return "APPLIED".equals(state);
        }

        /** The fulfilment's id within its source: never a key alone. */
        public long fulfilmentId() {
            return key.id();
        }
    }

    private static final RowMapper<Grant> GRANT = (rs, n) -> {
        Instant storedAt = rs.getTimestamp("created_at").toInstant();
        Timestamp keySentAt = rs.getTimestamp("key_sent_at");
        return new Grant(
                new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id")), rs.getString("customer_id"), rs.getString("subscription_id"),
                rs.getString("strategy"), rs.getInt("months"),
                (Long) rs.getObject("trial_end", Long.class), (Long) rs.getObject("credit_amount", Long.class),
                rs.getString("currency"), rs.getString("state"), rs.getInt("key_generation"),
                keySentAt == null ? storedAt : keySentAt.toInstant(), storedAt, rs.getString("coupon_id"));
    };

    private final JdbcTemplate jdbc;
    private final Duration lockLease;
    private final CustomerLocks locks;

    public StripeGrants(JdbcTemplate jdbc, DatabaseClock clock, FulfilmentSettings settings) {
        this.jdbc = jdbc;
        this.lockLease = settings.claimLease();
        this.locks = new CustomerLocks(jdbc, clock, lockLease, "stripe_customer_locks", List.of("customer_id"));
    }

    public Optional<Grant> find(FulfilmentKey key) {
        return jdbc.query("SELECT * FROM stripe_grants WHERE source = ? AND fulfilment_id = ?", GRANT,
                key.source().ledgerSource(), key.id()).stream().findFirst();
    }

    public List<Grant> unsettled(String customerId) {
        return jdbc.query("SELECT * FROM stripe_grants WHERE customer_id = ? AND state = 'SENT' ORDER BY created_at",
                GRANT, customerId);
    }

    public void recordSent(Grant grant) {
        Timestamp now = Timestamp.from(Instant.now());
        jdbc.update("""
                INSERT INTO stripe_grants (source, fulfilment_id, customer_id, subscription_id, strategy, months, trial_end,
                    credit_amount, currency, coupon_id, state, key_generation, key_sent_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'SENT', 1, ?, ?, ?)""",
                grant.key().source().ledgerSource(), grant.fulfilmentId(), grant.customerId(), grant.subscriptionId(), grant.strategy(), grant.months(),
                grant.trialEnd(), grant.creditAmount(), grant.currency(), grant.couponId(), now, now, now);
    }

    /**
     * Stores that a grant not applied is sent again under its next idempotency key, with this trial
     * target (null for a balance credit), before it is sent; returns the grant as now stored.
     */
    public Grant recordNextKey(Grant grant, Long trialEnd) {
        Instant now = Instant.now();
        int generation = grant.keyGeneration() + 1;
        jdbc.update("UPDATE stripe_grants SET key_generation = ?, key_sent_at = ?, trial_end = ?, updated_at = ? "
                        + "WHERE source = ? AND fulfilment_id = ? AND state = 'SENT'",
                generation, Timestamp.from(now), trialEnd, Timestamp.from(now), grant.key().source().ledgerSource(), grant.fulfilmentId());
        return new Grant(grant.key(), grant.customerId(), grant.subscriptionId(), grant.strategy(),
                grant.months(), trialEnd, grant.creditAmount(), grant.currency(), grant.state(), generation, now,
                grant.storedAt(), grant.couponId());
    }

    /**
     * Whether a grant to the customer was stored, re-keyed or applied since the instant, less a lock
     * lease: instances' clocks are trusted to agree that closely, as the lock's lease already is.
     */
    public boolean changedSince(String customerId, Instant since) {
        Integer changed = jdbc.queryForObject("SELECT COUNT(*) FROM stripe_grants WHERE customer_id = ? AND updated_at >= ?",
                Integer.class, customerId, Timestamp.from(since.minus(lockLease)));
        return changed != null && changed > 0;
    }

    /** Marks the grant applied and its fulfilment granted; the caller's transaction holds both. */
    public void markApplied(FulfilmentKey key) {
        jdbc.update("UPDATE stripe_grants SET state = 'APPLIED', updated_at = ? WHERE source = ? AND fulfilment_id = ?",
                Timestamp.from(Instant.now()), key.source().ledgerSource(), key.id());
    }

    /** A grant Stripe refused never took effect: forget it so the fulfilment can be evaluated afresh. */
    public void forget(FulfilmentKey key) {
        jdbc.update("DELETE FROM stripe_grants WHERE source = ? AND fulfilment_id = ? AND state = 'SENT'",
                key.source().ledgerSource(), key.id());
    }

    /** Takes the customer's lock, waiting for it within the time left; throws {@link RetryLater} otherwise. */
    public void lockCustomer(String customerId, String holder, long deadlineEpochMillis) throws InterruptedException {
        locks.lock(List.of(customerId), holder, deadlineEpochMillis,
                "another grant to the same Stripe customer is being applied; retry later");
    }

    public void unlockCustomer(String customerId, String holder) {
        locks.unlock(List.of(customerId), holder);
    }
}
