package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.FAILED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.PARKED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.RECEIVED;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A delivery's or a replay's claim of a fulfilment: the key taken with a lease (RECEIVED) before it is
 * applied, the grant then moving the row to its final state in the same transaction as its effect,
 * guarded by the lease ({@link FulfilmentLifecycle}). A delivery of a key that is already settled
 * answers what was decided; one that arrives while it is being applied waits for that, within the
 * answer deadline.
 */
@Component
public class FulfilmentClaims {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final FulfilmentLifecycle lifecycle;
    private final CommissionDecisions decisions;
    private final DatabaseClock clock;
    private final Duration lease;
    private final Duration stuckAfter;
    private final GroupCommit<Object[], Boolean> firstClaims;

    /**
     * clock: every time written here that another instance compares (leases, stuck-after) is the
     * database's (docs/promises.md, One clock).
     */
    FulfilmentClaims(JdbcTemplate jdbc, TransactionTemplate transaction, MeterRegistry meters, FulfilmentSettings settings,
                     DatabaseClock clock, FulfilmentLifecycle lifecycle, CommissionDecisions decisions) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.lifecycle = lifecycle;
        this.decisions = decisions;
        this.clock = clock;
        this.lease = settings.claimLease();
        this.stuckAfter = settings.stuckAfter();
        this.firstClaims = new GroupCommit<>("claims", settings.groupCommit().batchSize(), settings.groupCommit().committers(),
                meters, rows -> transaction.execute(tx -> lifecycle.insertClaims(rows)));
    }

    @PreDestroy
    void stop() throws InterruptedException {
        firstClaims.stop();
    }

    /**
     * Route fulfilment's claim of a door's request: a replay's own claim; none for a first delivery of
     * credits, points or cash (its route records it with its effect); else {@link #claim(Fulfilment, Instant, Deadline)}.
     * A held claim of a request the door already knows cannot be applied is parked with the door's reason.
     */
    public Claim claim(FulfilmentRequest request, Deadline deadline) throws Exception {
        if (request.recordedWithItsEffect()) {
            return null;
        }
        Claim claim = request.replayClaim() != null ? request.replayClaim() : claim(request.fulfilment(), request.approvedAt(), deadline);
        if (claim.held() && request.kind() == FulfilmentRequest.Kind.RECONCILIATION) {
            try {
                // Its record says so, and its grant makes its close due (docs/promises.md, Nothing lost when every delivery failed).
                lifecycle.markReconciled(claim, deadline);
            } catch (RuntimeException | Error notMarked) {
                release(claim, deadline);
                throw notMarked;
            }
        }
        if (claim.held() && request.parkReason() != null) {
            try {
                return Claim.settled(claim.key(), lifecycle.park(claim, request.parkReason(), deadline));
            } catch (RuntimeException | Error notParked) {
                release(claim, deadline);
                throw notParked;
            }
        }
        return claim;
    }

    /** What a bean applies under a claim it took itself. */
    @FunctionalInterface
    public interface UnderClaim<T> {
        T apply(Claim claim) throws Exception;
    }

    /**
     * Claims the fulfilment ({@link #claim(Fulfilment, Deadline)}) and applies it under that claim. When
     * applying fails the claim is released, as the routes' error handling releases a claim of the
     * route's, so the next delivery takes it over at once instead of waiting out the lease.
     */
    public <T> T underClaim(Fulfilment fulfilment, Deadline deadline, UnderClaim<T> work) throws Exception {
        Claim taken = claim(fulfilment, deadline);
        try {
            return work.apply(taken);
        } catch (Exception | Error failure) {
            release(taken, deadline);
            throw failure;
        }
    }

    /**
     * Claims the fulfilment for this delivery, or answers it from what was decided before. Throws
     * {@link RetryLater} when another delivery holds it past the deadline.
     */
    public Claim claim(Fulfilment fulfilment, Deadline deadline) throws Exception {
        return claim(fulfilment, null, deadline);
    }

    /**
     * A webhooks v2 approval's claim: as {@link #claim(Fulfilment, Deadline)}, and a commission FirstPromoter
     * denied is taken only by an approval newer than the denial (eventAt, the approval's timestamp).
     */
    public Claim claim(Fulfilment fulfilment, Instant eventAt, Deadline deadline) throws Exception {
        String token = UUID.randomUUID().toString();
        Timestamp approvedAt = eventAt == null ? null : Timestamp.from(eventAt);
        Decision decision = claimWithOthers(fulfilment, approvedAt, token, deadline);
        while (true) {
            if (decision.claimed()) {
                return Claim.heldBy(fulfilment.key(), token, decision.attempt() + 1);
            }
            if (decision.answer() != null) {
                return Claim.settled(fulfilment.key(), decision.answer());
            }
            if (deadline.remainingMillis() < 200) {
                throw new RetryLater("fulfilment " + fulfilment.id() + " is being applied by another delivery; retry later");
            }
            Thread.sleep(50);
            decision = tryClaim(fulfilment, approvedAt, token);
        }
    }

    /** The first try: inserted together with the claims of deliveries arriving at the same time. */
    private Decision claimWithOthers(Fulfilment f, Timestamp eventAt, String token, Deadline deadline) throws Exception {
        Timestamp now = Timestamp.from(clock.now());
        Timestamp until = Timestamp.from(clock.now().plus(lease));
        try {
            if (firstClaims.commit(FulfilmentLifecycle.claimRow(f, eventAt, token, until, now), deadline.remainingMillis())) {
                return Decision.CLAIMED_FIRST;
            }
            return transaction.execute(tx -> decideExisting(f, eventAt, token, now, until));
        } catch (GroupCommit.NotCommitted alone) {
            return tryClaim(f, eventAt, token);
        }
    }

    private Decision tryClaim(Fulfilment f, Timestamp eventAt, String token) {
        Timestamp now = Timestamp.from(clock.now());
        Timestamp until = Timestamp.from(clock.now().plus(lease));
        try {
            lifecycle.insertClaim(FulfilmentLifecycle.claimRow(f, eventAt, token, until, now));
            return Decision.CLAIMED_FIRST;
        } catch (DuplicateKeyException alreadyThere) {
            return transaction.execute(tx -> decideExisting(f, eventAt, token, now, until));
        }
    }

    private Decision decideExisting(Fulfilment f, Timestamp eventAt, String token, Timestamp now, Timestamp until) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT state, reason, attempt, payout_reference, event_at, lease_until IS NOT NULL AND lease_until > ? AS leased
                FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE""", now, f.key().source().ledgerSource(), f.id());
        if (rows.isEmpty()) {
            return Decision.WAIT;
        }
        Map<String, Object> row = rows.get(0);
        FulfilmentState state = FulfilmentState.valueOf((String) row.get("state"));
        int attempt = ((Number) row.get("attempt")).intValue();
        switch (state) {
            case PAID:
                return Decision.answered(Answer.granted("payout paid before (reference " + row.get("payout_reference") + ")"));
            case QUEUED:
                return Decision.answered(Answer.queued("payout queued before, not yet paid"));
            case FAILED:
                return Decision.answered(Answer.parked(String.valueOf(row.get("reason"))));
            default:
                break;
        }
        Answer decided = decisions.approvalFinds(f.key(), state, (String) row.get("reason"), Columns.timestamp(row.get("event_at")),
                eventAt, now);
        if (decided != null) {
            return Decision.answered(decided);
        }
        if (state == RECEIVED && Boolean.TRUE.equals(row.get("leased"))) {
            return Decision.WAIT;
        }
        if (state == FulfilmentState.PARKED && FulfilmentLifecycle.mayHaveLanded(row.get("reason"))) {
            return Decision.answered(Answer.parked((String) row.get("reason")));
        }
        // Parked, denied by an older event, or abandoned by a delivery that crashed: evaluated afresh with this
        // delivery's data, the newest decision's time kept. Its answer tells FirstPromoter the outcome, so a
        // notice a replay left due is no longer needed. The row is locked: the move finds it as it was read.
        lifecycle.write(FulfilmentLifecycle.move(f.key(), RECEIVED, now).from(state)
                .set("event_id", f.eventId()).set("unit", Columns.unit(f.unit())).set("amount", Columns.amount(f.amount()))
                .set("amount_received", f.amount().toPlainString()).set("promoter_id", f.promoterId()).set("customer_ref", f.custId())
                .set("email", f.email()).set("received_status", f.status()).set("recipient_kind", Columns.recipientKind(f))
                .set("recipient_id", f.recipient().id()).set("provider_coupon_id", f.discount().providerCouponId())
                .set("discount_duration", Columns.discount(f)).setSql("event_at = COALESCE(?, event_at)", eventAt)
                .set("lease_holder", token).set("lease_until", until).clear("firstpromoter_notice", "reconciled_at"));
        return new Decision(true, attempt, null);
    }

    /** What an operator's replay took: the claim, and the fulfilment as stored when the claim is held. */
    public record Replay(Claim claim, Fulfilment fulfilment) {
    }

    /**
     * An operator's replay: claims a parked, failed or stuck fulfilment with what was stored of it, so
     * it is applied exactly once like a delivery (a failed payout gets a new attempt). A stuck one's
     * expired lease is taken over only by an update guarded on it, never a live one.
     */
    public Replay claimForReplay(FulfilmentKey key) {
        long fulfilmentId = key.id();
        String token = UUID.randomUUID().toString();
        Timestamp now = Timestamp.from(clock.now());
        Timestamp until = Timestamp.from(clock.now().plus(lease));
        Timestamp stuckBefore = Timestamp.from(now.toInstant().minus(stuckAfter));
        return transaction.execute(tx -> {
            List<Map<String, Object>> rows = jdbc.queryForList("""
                    SELECT event_id, unit, amount, amount_received, received_status, promoter_id, customer_ref, email, state,
                        attempt, reason, recipient_kind, recipient_id, provider_coupon_id, discount_duration,\s""" + Columns.STUCK + """
                     AS stuck
                    FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE""",
                    RECEIVED.name(), stuckBefore, key.source().ledgerSource(), fulfilmentId);
            FulfilmentState state = rows.isEmpty() ? null : FulfilmentState.valueOf((String) rows.get(0).get("state"));
            boolean stuck = !rows.isEmpty() && Boolean.TRUE.equals(rows.get(0).get("stuck"));
            if ((state == null || !state.waitsForOperator()) && !stuck) {
                return new Replay(Claim.settled(key, Answer.ignored("fulfilment " + fulfilmentId + (state == null ? " is unknown" : " is " + state)
                        + (state == RECEIVED ? " (being applied, or its lease ran out less than bridge.stuck-after, " + stuckAfter + ", ago)" : "")
                        + ": only parked, failed or stuck ones are replayed")), null);
            }
            Map<String, Object> row = rows.get(0);
            BigDecimal amount = amountToReplay(row);
            if (amount == null) {
                return new Replay(Claim.settled(key, Answer.parked("its amount as received was not kept: wait for a new delivery")), null);
            }
            // No delivery answers a replay: once it is granted or paid, FirstPromoter is told (firstpromoter-notify).
            // Guarded as well as locked: only a parked, failed or stuck row is taken, never a live lease.
            int taken = lifecycle.write(FulfilmentLifecycle.move(key, RECEIVED, now).from(PARKED, FAILED, RECEIVED)
                    .set("lease_holder", token).set("lease_until", until)
                    .setSql("firstpromoter_notice = 'DUE', firstpromoter_attempts = 0, firstpromoter_next_at = ?, "
                            + "firstpromoter_traceparent = ?", now, lifecycle.currentTrace())
                    .where("state <> ? OR COALESCE(lease_until, updated_at) < ?", RECEIVED.name(), stuckBefore));
            if (taken != 1) {
                return new Replay(Claim.settled(key, Answer.ignored("fulfilment " + fulfilmentId
                        + " was taken by a delivery meanwhile: nothing replayed")), null);
            }
            Claim claim = Claim.heldBy(key, token, ((Number) row.get("attempt")).intValue() + 1);
            long promoterId = ((Number) row.get("promoter_id")).longValue();
            return new Replay(claim, new Fulfilment(key, (String) row.get("event_id"), (String) row.get("unit"), amount,
                    (String) row.get("received_status"), promoterId, (String) row.get("customer_ref"), (String) row.get("email"),
                    storedRecipient(row, promoterId),
                    DiscountTerms.ofColumns((String) row.get("provider_coupon_id"), (String) row.get("discount_duration"))));
        });
    }

    private static Recipient storedRecipient(Map<String, Object> row, long promoterId) {
        String kind = (String) row.get("recipient_kind");
        Number id = (Number) row.get("recipient_id");
        return kind == null || id == null ? Recipient.promoter(promoterId) : new Recipient(Recipient.Kind.valueOf(kind), id.longValue());
    }

    /**
     * The amount exactly as its delivery gave it. A row from before V5 has only the column cut to 8
     * decimals: it is used unless the fulfilment was parked for its amount, which the cut may have hidden.
     */
    private static BigDecimal amountToReplay(Map<String, Object> row) {
        String received = (String) row.get("amount_received");
        if (received != null) {
            return new BigDecimal(received);
        }
        String reason = (String) row.get("reason");
        return reason != null && reason.startsWith("amount out of bounds") ? null : (BigDecimal) row.get("amount");
    }

    /** After a failure, lets the next delivery take the fulfilment over at once instead of waiting out the lease. */
    public void release(Claim claim, Deadline deadline) {
        if (claim == null || !claim.held() || deadline == null) {
            return;
        }
        try {
            // Bounded: the answer is waiting for this, and a hung database must not hold it.
            deadline.boundStatements(Deadline.CLEAN_UP_MILLIS, () -> jdbc.update(
                    "UPDATE fulfilments SET lease_until = ? WHERE source = ? AND fulfilment_id = ? AND lease_holder = ? AND state = ?",
                    Timestamp.from(clock.now()), claim.key().source().ledgerSource(), claim.key().id(), claim.lease(), RECEIVED.name()));
        } catch (RuntimeException databaseDown) {
            // The lease runs out by itself.
        }
    }

    private record Decision(boolean claimed, int attempt, Answer answer) {
        static final Decision CLAIMED_FIRST = new Decision(true, 0, null);
        static final Decision WAIT = new Decision(false, 0, null);

        static Decision answered(Answer answer) {
            return new Decision(false, 0, answer);
        }
    }
}
