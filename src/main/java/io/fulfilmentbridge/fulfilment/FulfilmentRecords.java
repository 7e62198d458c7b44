package io.fulfilmentbridge.fulfilment;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The fulfilments table and the only writer of it: every state change of a fulfilment's record
 * ({@link FulfilmentState}) is a method here. One row per fulfilment key, the claim that makes each
 * grant happen at most once. A delivery claims the key with a lease (state RECEIVED) before applying
 * it; the grant then moves the row to its final state in the same transaction as its effect, guarded
 * by the lease ({@link Claim}). A delivery of a key that is already settled answers what was decided;
 * one that arrives while it is being applied waits for that, within the answer deadline. Rows without
 * a lease (another delivery's grant settled, a payout's result, FirstPromoter's notice) change only
 * from the state the caller saw.
 */
@Component("fulfilmentRecords")
public class FulfilmentRecords {

    /** The reason a stuck fulfilment is listed with; replayAllWithReason takes it like any other. */
    public static final String STUCK_REASON = "stuck: the delivery applying it stopped (crashed, or answered 503 and not sent again)";
    /** A RECEIVED fulfilment whose lease ran out before the parameter (now minus stuck-after): stuck. */
    private static final String STUCK = "state = 'RECEIVED' AND COALESCE(lease_until, updated_at) < ?";
    /** Why a reversed fulfilment delivered again is listed. */
    /**
     * Begins the reason of a grant parked while settling a send whose answer was lost: it may have landed, so
     * a delivery never applies it again, only an operator's replay, and a denial reverses and lists it
     * (docs/promises.md, What proves a lost grant landed).
     */
    public static final String MAY_HAVE_LANDED = "a request whose answer was lost may have granted it, so only an operator's "
            + "replay applies it: ";
    public static final String REDELIVERED_AFTER_REVERSAL = "delivered again after it was reversed: not applied, review it with FirstPromoter";
    /** Reversed fulfilments listed for operators: those with a reason (null once nothing needs a review). */
    private static final String REVERSED_TO_REVIEW = "state = 'REVERSED' AND reason IS NOT NULL";
    /** The listed reason, with the operator's reason for the reversal when there is one. */
    private static final String LISTED_REASON =
            "CASE WHEN reversal_note IS NULL THEN reason ELSE reason || ' (reversal: ' || reversal_note || ')' END";
    /**
     * A commission granted: FirstPromoter is told (mark_fulfilled, route firstpromoter-notify) from the
     * committed row, so a crash after the commit loses no call. Legacy rows keep their notice: a legacy
     * delivery's 200 told FirstPromoter itself. One parameter: the time the first call is due.
     */
    private static final String MARK_FULFILLED_DUE = """
            firstpromoter_notice = CASE WHEN source = 'v2' THEN 'DUE' ELSE firstpromoter_notice END,
                firstpromoter_attempts = CASE WHEN source = 'v2' THEN 0 ELSE firstpromoter_attempts END,
                firstpromoter_next_at = CASE WHEN source = 'v2' THEN ? ELSE firstpromoter_next_at END
            """;
    private static final BigDecimal COLUMN_LIMIT = new BigDecimal("1e29");
    private static final String INSERT_CLAIM = """
            INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref, email,
                received_status, recipient_kind, recipient_id, provider_coupon_id, discount_duration, event_at,
                state, lease_holder, lease_until, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?, ?, ?, ?)""";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final Duration lease;
    private final Duration stuckAfter;
    private final GroupCommit<Object[], Boolean> firstClaims;
    private final DatabaseClock clock;
    private final List<GrantSends> sends;

    /**
     * clock: every time written here that another instance compares (leases, stuck-after, notices' due
     * times) is the database's (docs/promises.md, One clock). sends: each billing system's record of its
     * sends, read when a denial finds its approval stuck.
     */
    public FulfilmentRecords(JdbcTemplate jdbc, TransactionTemplate transaction, MeterRegistry meters, FulfilmentSettings settings,
                             DatabaseClock clock, List<GrantSends> sends) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.clock = clock;
        this.sends = List.copyOf(sends);
        this.lease = settings.claimLease();
        this.stuckAfter = settings.stuckAfter();
        this.firstClaims = new GroupCommit<>("claims", settings.groupCommit().batchSize(), settings.groupCommit().committers(),
                meters, this::insertIfNew);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        firstClaims.stop();
    }

    // ---- Claims: a delivery takes the fulfilment, or learns what was decided before.

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

    /**
     * Fulfilments never seen before, recorded GRANTED at once, in the caller's transaction that books
     * their effect (the ledger's entries): one commit, no claim. True for each one inserted; false for
     * one already known, which the caller claims as usual (it may be granted, parked or being applied).
     */
    public List<Boolean> insertGranted(List<Fulfilment> fulfilments) {
        return insertSettled(fulfilments, FulfilmentState.GRANTED);
    }

    /**
     * A cash fulfilment never seen before, recorded QUEUED for its first attempt in the caller's
     * transaction that writes its outbox row. False when it is known already: the caller claims it.
     */
    public boolean insertQueued(Fulfilment fulfilment) {
        return insertSettled(List.of(fulfilment), FulfilmentState.QUEUED).get(0);
    }

    private List<Boolean> insertSettled(List<Fulfilment> fulfilments, FulfilmentState state) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("a fulfilment's state commits with its effect: call it inside a transaction");
        }
        Timestamp now = Timestamp.from(clock.now());
        // A v2 commission granted is due to be marked fulfilled, as markGranted makes it.
        int[] inserted = jdbc.batchUpdate("""
                INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref, email,
                    received_status, recipient_kind, recipient_id, provider_coupon_id, discount_duration, state, attempt,
                    created_at, updated_at, firstpromoter_notice, firstpromoter_attempts, firstpromoter_next_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? = 'v2' AND ? = 'GRANTED' THEN 'DUE' END, 0, ?)
                ON CONFLICT DO NOTHING""",
                fulfilments.stream().map(f -> new Object[] {f.key().source().ledgerSource(), f.id(), f.eventId(), unitColumn(f.unit()),
                        amountColumn(f.amount()), f.amount().toPlainString(), f.promoterId(), f.custId(), f.email(), f.status(),
                        recipientKindColumn(f), f.recipient().id(), f.discount().providerCouponId(), discountColumn(f), state.name(),
                        state == FulfilmentState.QUEUED ? 1 : 0, now, now, f.key().source().ledgerSource(), state.name(), now}).toList());
        List<Boolean> result = new ArrayList<>(inserted.length);
        for (int count : inserted) {
            if (count != 0 && count != 1) {
                throw new IllegalStateException("the driver gave no row count for a first " + state);
            }
            result.add(count == 1);
        }
        return result;
    }

    /** The first try: inserted together with the claims of deliveries arriving at the same time. */
    private Decision claimWithOthers(Fulfilment f, Timestamp eventAt, String token, Deadline deadline) throws Exception {
        Timestamp now = Timestamp.from(clock.now());
        Timestamp until = Timestamp.from(clock.now().plus(lease));
        try {
            if (firstClaims.commit(claimRow(f, eventAt, token, until, now), deadline.remainingMillis())) {
                return Decision.CLAIMED_FIRST;
            }
            return transaction.execute(tx -> decideExisting(f, eventAt, token, now, until));
        } catch (GroupCommit.NotCommitted alone) {
            return tryClaim(f, eventAt, token);
        }
    }

    /** The parameters of INSERT_CLAIM. */
    private static Object[] claimRow(Fulfilment f, Timestamp eventAt, String token, Timestamp until, Timestamp now) {
        return new Object[] {f.key().source().ledgerSource(), f.id(), f.eventId(), unitColumn(f.unit()), amountColumn(f.amount()), f.amount().toPlainString(), f.promoterId(),
                f.custId(), f.email(), f.status(), recipientKindColumn(f), f.recipient().id(), f.discount().providerCouponId(),
                discountColumn(f), eventAt, token, until, now, now};
    }

    /** Null for the promoter's reward, as every legacy row has it. */
    private static String recipientKindColumn(Fulfilment f) {
        return f.recipient().kind() == Recipient.Kind.PROMOTER && f.recipient().id() == f.promoterId() ? null : f.recipient().kind().name();
    }

    /** Null for the bridge's own once-only terms, as every legacy row has them. */
    private static String discountColumn(Fulfilment f) {
        return DiscountTerms.ONCE.equals(f.discount()) ? null : f.discount().label();
    }

    private List<Boolean> insertIfNew(List<Object[]> rows) {
        return transaction.execute(tx -> {
            int[] inserted = jdbc.batchUpdate(INSERT_CLAIM + " ON CONFLICT DO NOTHING", rows);
            List<Boolean> claimed = new ArrayList<>(inserted.length);
            for (int count : inserted) {
                if (count != 0 && count != 1) {
                    throw new IllegalStateException("the driver gave no row count for a claim");
                }
                claimed.add(count == 1);
            }
            return claimed;
        });
    }

    private Decision tryClaim(Fulfilment f, Timestamp eventAt, String token) {
        Timestamp now = Timestamp.from(clock.now());
        Timestamp until = Timestamp.from(clock.now().plus(lease));
        try {
            jdbc.update(INSERT_CLAIM, claimRow(f, eventAt, token, until, now));
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
        Answer decided = approvalFinds(f.key(), state, (String) row.get("reason"), timestamp(row.get("event_at")), eventAt, now);
        if (decided != null) {
            return Decision.answered(decided);
        }
        if (state == FulfilmentState.RECEIVED && Boolean.TRUE.equals(row.get("leased"))) {
            return Decision.WAIT;
        }
        if (state == FulfilmentState.PARKED && mayHaveLanded(row.get("reason"))) {
            return Decision.answered(Answer.parked((String) row.get("reason")));
        }
        // Parked, denied by an older event, or abandoned by a delivery that crashed: evaluated afresh with this
        // delivery's data, the newest decision's time kept. Its answer tells FirstPromoter the outcome, so a
        // notice a replay left due is no longer needed.
        jdbc.update("""
                UPDATE fulfilments SET event_id = ?, unit = ?, amount = ?, amount_received = ?, promoter_id = ?, customer_ref = ?, email = ?,
                    received_status = ?, recipient_kind = ?, recipient_id = ?, provider_coupon_id = ?, discount_duration = ?,
                    event_at = COALESCE(?, event_at),
                    state = 'RECEIVED', lease_holder = ?, lease_until = ?, updated_at = ?, firstpromoter_notice = NULL
                WHERE source = ? AND fulfilment_id = ?""",
                f.eventId(), unitColumn(f.unit()), amountColumn(f.amount()), f.amount().toPlainString(), f.promoterId(), f.custId(), f.email(),
                f.status(), recipientKindColumn(f), f.recipient().id(), f.discount().providerCouponId(), discountColumn(f), eventAt,
                token, until, now, f.key().source().ledgerSource(), f.id());
        return new Decision(true, attempt, null);
    }

    /**
     * A delivery of a reversed fulfilment: FirstPromoter holds the reward pending again (a re-approval).
     * Never applied again; listed for operators, and answered 202 so FirstPromoter keeps it pending
     * rather than marking fulfilled a reward the bridge took back.
     */
    private Answer redeliveredAfterReversal(FulfilmentKey key, String listedReason, Timestamp now) {
        if (listedReason == null || !listedReason.contains(REDELIVERED_AFTER_REVERSAL)) {
            String reason = listedReason == null ? REDELIVERED_AFTER_REVERSAL : REDELIVERED_AFTER_REVERSAL + "; " + listedReason;
            jdbc.update("UPDATE fulfilments SET reason = ?, updated_at = ? WHERE source = ? AND fulfilment_id = ? AND state = 'REVERSED'",
                    cut(reason, 1000), now, key.source().ledgerSource(), key.id());
        }
        return Answer.parked("fulfilment " + key.id() + " was reversed: " + REDELIVERED_AFTER_REVERSAL);
    }

    /**
     * What a webhooks v2 approval (approvedAt; null for a legacy delivery, or an approval without a
     * timestamp) finds in a record already there, by the time of the newest decision taken for the
     * commission whatever its state (docs/promises.md, Webhooks v2 events): older than it, nothing
     * changes; granted, granted before, a newer approval's time kept as the newest; denied, applied
     * only when newer than the denial; reversed, listed. Null: evaluate it.
     */
    private Answer approvalFinds(FulfilmentKey key, FulfilmentState state, String reason, Timestamp newest, Timestamp approvedAt,
                                 Timestamp now) {
        if (state == FulfilmentState.DENIED) {
            return deniedAfter(key, approvedAt, newest);
        }
        if (approvedAt != null && newest != null && approvedAt.before(newest)) {
            return olderThanNewest(key, "approval", approvedAt, newest);
        }
        return switch (state) {
            case GRANTED -> {
                if (approvedAt != null) {
                    jdbc.update("UPDATE fulfilments SET event_at = ? WHERE source = ? AND fulfilment_id = ? AND state = 'GRANTED' "
                            + "AND (event_at IS NULL OR event_at < ?)", approvedAt, key.source().ledgerSource(), key.id(), approvedAt);
                }
                yield Answer.granted("granted before: nothing applied again");
            }
            case REVERSED -> redeliveredAfterReversal(key, reason, now);
            default -> null;
        };
    }

    /** An event older than the newest decision taken for its commission: 202, nothing changed. */
    private static Answer olderThanNewest(FulfilmentKey key, String what, Timestamp at, Timestamp newest) {
        return Answer.ignored("this " + what + " (" + at.toInstant() + ") is older than the newest decision on commission " + key.id()
                + " (" + newest.toInstant() + "), which stands: nothing changed");
    }

    /**
     * An approval of a commission FirstPromoter denied: applied only when it is newer than the denial.
     * Null when it is; else the answer. An approval or a denial without a timestamp cannot be ordered:
     * the denial stands.
     */
    private static Answer deniedAfter(FulfilmentKey key, Timestamp approvedAt, Timestamp deniedAt) {
        if (approvedAt != null && deniedAt != null && approvedAt.after(deniedAt)) {
            return null;
        }
        return Answer.ignored("commission " + key.id() + " was denied by FirstPromoter" + (deniedAt == null ? "" : " at " + deniedAt.toInstant())
                + ", after this approval" + (approvedAt == null ? " (which has no timestamp)" : " (" + approvedAt.toInstant() + ")")
                + ": nothing applied");
    }

    private static Timestamp timestamp(Object column) {
        if (column instanceof Timestamp timestamp) {
            return timestamp;
        }
        if (column instanceof java.time.OffsetDateTime offset) {
            return Timestamp.from(offset.toInstant());
        }
        return null;
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
                        attempt, reason, recipient_kind, recipient_id, provider_coupon_id, discount_duration,\s""" + STUCK + """
                     AS stuck
                    FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE""", stuckBefore, key.source().ledgerSource(), fulfilmentId);
            FulfilmentState state = rows.isEmpty() ? null : FulfilmentState.valueOf((String) rows.get(0).get("state"));
            boolean stuck = !rows.isEmpty() && Boolean.TRUE.equals(rows.get(0).get("stuck"));
            if ((state == null || !state.waitsForOperator()) && !stuck) {
                return new Replay(Claim.settled(key, Answer.ignored("fulfilment " + fulfilmentId + (state == null ? " is unknown" : " is " + state)
                        + (state == FulfilmentState.RECEIVED ? " (being applied, or its lease ran out less than bridge.stuck-after, " + stuckAfter + ", ago)" : "")
                        + ": only parked, failed or stuck ones are replayed")), null);
            }
            Map<String, Object> row = rows.get(0);
            BigDecimal amount = amountToReplay(row);
            if (amount == null) {
                return new Replay(Claim.settled(key, Answer.parked("its amount as received was not kept: wait for a new delivery")), null);
            }
            // No delivery answers a replay: once it is granted or paid, FirstPromoter is told (firstpromoter-notify).
            // Guarded as well as locked: only a parked, failed or stuck row is taken, never a live lease.
            int taken = jdbc.update("""
                    UPDATE fulfilments SET state = 'RECEIVED', lease_holder = ?, lease_until = ?, updated_at = ?,
                        firstpromoter_notice = 'DUE', firstpromoter_attempts = 0, firstpromoter_next_at = ?
                    WHERE source = ? AND fulfilment_id = ? AND (state IN ('PARKED', 'FAILED') OR\s""" + STUCK + ")",
                    token, until, now, now, key.source().ledgerSource(), fulfilmentId, stuckBefore);
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

    // ---- Transitions under the claim's lease: each throws RetryLater when another delivery took the fulfilment over.

    /** Parks the claimed fulfilment with the reason a person must read. */
    public Answer park(Claim claim, String reason, Deadline deadline) {
        int updated = deadline.boundStatements(0, () -> jdbc.update("""
                UPDATE fulfilments SET state = 'PARKED', reason = ?, lease_holder = NULL, lease_until = NULL, updated_at = ?
                WHERE source = ? AND fulfilment_id = ? AND lease_holder = ?""",
                cut(reason, 1000), Timestamp.from(clock.now()), claim.key().source().ledgerSource(), claim.key().id(), claim.lease()));
        requireLease(updated, claim.key());
        return Answer.parked(reason);
    }

    /**
     * Marks the claimed fulfilment granted; call inside the transaction that applied the grant. A v2
     * commission's notice becomes due: FirstPromoter learns of it only through mark_fulfilled (contract 9).
     */
    public void markGranted(Claim claim) {
        Timestamp now = Timestamp.from(clock.now());
        int updated = jdbc.update("""
                UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, lease_until = NULL, updated_at = ?,
                    """ + MARK_FULFILLED_DUE + """
                WHERE source = ? AND fulfilment_id = ? AND lease_holder = ?""",
                now, now, claim.key().source().ledgerSource(), claim.key().id(), claim.lease());
        requireLease(updated, claim.key());
    }

    /**
     * Marks the claimed fulfilments granted in one batch, inside the transaction that books their
     * ledger entries; if any was taken over, none is (the caller books them again one at a time).
     */
    public void markAllGranted(List<Claim> claims) {
        Timestamp now = Timestamp.from(clock.now());
        int[] updated = jdbc.batchUpdate("""
                UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, lease_until = NULL, updated_at = ?,
                    """ + MARK_FULFILLED_DUE + """
                WHERE source = ? AND fulfilment_id = ? AND lease_holder = ?""",
                claims.stream().map(c -> new Object[] {now, now, c.key().source().ledgerSource(), c.key().id(), c.lease()}).toList());
        for (int i = 0; i < updated.length; i++) {
            if (updated[i] != 1) {
                throw new RetryLater("the fulfilment was taken over by another delivery; retry later");
            }
        }
    }

    /** Marks the claimed cash fulfilment queued for its attempt; call inside the transaction that writes its outbox row. */
    public void markQueued(Claim claim) {
        int updated = jdbc.update("""
                UPDATE fulfilments SET state = 'QUEUED', reason = NULL, attempt = ?, lease_holder = NULL, lease_until = NULL,
                    updated_at = ?
                WHERE source = ? AND fulfilment_id = ? AND lease_holder = ?""",
                claim.attempt(), Timestamp.from(clock.now()), claim.key().source().ledgerSource(), claim.key().id(), claim.lease());
        requireLease(updated, claim.key());
    }

    /** After a failure, lets the next delivery take the fulfilment over at once instead of waiting out the lease. */
    public void release(Claim claim, Deadline deadline) {
        if (claim == null || !claim.held() || deadline == null) {
            return;
        }
        try {
            // Bounded: the answer is waiting for this, and a hung database must not hold it.
            deadline.boundStatements(Deadline.CLEAN_UP_MILLIS, () -> jdbc.update(
                    "UPDATE fulfilments SET lease_until = ? WHERE source = ? AND fulfilment_id = ? AND lease_holder = ? AND state = 'RECEIVED'",
                    Timestamp.from(clock.now()), claim.key().source().ledgerSource(), claim.key().id(), claim.lease()));
        } catch (RuntimeException databaseDown) {
            // The lease runs out by itself.
        }
    }

    static void requireLease(int updated, FulfilmentKey key) {
        if (updated != 1) {
            throw new RetryLater("fulfilment " + key.id() + " was taken over by another delivery; retry later");
        }
    }

    // ---- Transitions without a lease: another delivery's grant found applied or refused while settling.

    /**
     * Whether a fulfilment was reversed: another delivery's grant of it whose answer was lost is then never
     * sent again (a denial reversed it and listed it for review; docs/promises.md, What proves a lost grant
     * landed).
     */
    public boolean isReversed(FulfilmentKey key) {
        return Boolean.TRUE.equals(jdbc.query("SELECT state FROM fulfilments WHERE source = ? AND fulfilment_id = ?",
                rs -> rs.next() && FulfilmentState.REVERSED.name().equals(rs.getString(1)), key.source().ledgerSource(), key.id()));
    }

    /**
     * A grant of another delivery's fulfilment, whose answer was lost, took effect: granted, if still being
     * applied, and a v2 commission's notice due like any other grant's (markGranted).
     */
    public void settleGranted(FulfilmentKey key) {
        Timestamp now = Timestamp.from(clock.now());
        jdbc.update("UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, lease_until = NULL, updated_at = ?, "
                + MARK_FULFILLED_DUE + " WHERE source = ? AND fulfilment_id = ? AND state = 'RECEIVED'", now, now, key.source().ledgerSource(), key.id());
    }

    /** A grant of another delivery's fulfilment, whose answer was lost, was refused: parked, if still being applied. */
    public void settleParked(FulfilmentKey key, String reason) {
        jdbc.update("UPDATE fulfilments SET state = 'PARKED', reason = ?, lease_holder = NULL, lease_until = NULL, "
                + "updated_at = ? WHERE source = ? AND fulfilment_id = ? AND state = 'RECEIVED'", cut(reason, 1000), Timestamp.from(clock.now()),
                key.source().ledgerSource(), key.id());
    }

    // ---- Webhooks v2: what a commission's approval or denial finds (contract 9).

    /**
     * An approval of a commission whose outcome is already decided, answered without asking FirstPromoter's
     * API: older than the newest decision; granted before; denied by a newer event; reversed (listed, not
     * applied again). Null: go on.
     */
    public Answer settledBefore(CommissionEvent approval) {
        FulfilmentKey key = approval.key();
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT state, reason, event_at FROM fulfilments WHERE source = ? AND fulfilment_id = ?",
                key.source().ledgerSource(), key.id());
        if (rows.isEmpty()) {
            return null;
        }
        Map<String, Object> row = rows.get(0);
        Timestamp approvedAt = approval.occurredAt() == null ? null : Timestamp.from(approval.occurredAt());
        return approvalFinds(key, FulfilmentState.valueOf((String) row.get("state")), (String) row.get("reason"),
                timestamp(row.get("event_at")), approvedAt, Timestamp.from(clock.now()));
    }

    /**
     * An approval that could not be applied because FirstPromoter's API did not answer: kept as a claim
     * whose lease has run out, so it is listed as stuck after bridge.stuck-after unless FirstPromoter
     * sends it again, and an operator can replay it (contract 9: the bridge does not rely on a retry).
     * A row already there is left as it is.
     */
    public void keepUnapplied(CommissionEvent approval) {
        FulfilmentKey key = approval.key();
        Timestamp now = Timestamp.from(clock.now());
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, email, received_status,
                    event_at, state, lease_until, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?, ?, ?) ON CONFLICT DO NOTHING""",
                key.source().ledgerSource(), key.id(), approval.eventId(), unitColumn(approval.unit()), amountColumn(approval.amount()),
                approval.amount().toPlainString(), approval.promoterId() == null ? 0L : approval.promoterId(), approval.promoterEmail(),
                cut(approval.status(), 64), approval.occurredAt() == null ? null : Timestamp.from(approval.occurredAt()), now, now, now);
    }

    /**
     * Takes in FirstPromoter's denial of a commission, ordered by the newest decision taken for it
     * whatever its state (docs/promises.md, Webhooks v2 events): older than it, nothing changes. Not
     * applied (parked, denied, or stuck before any billing send): recorded as DENIED, so an approval
     * older than the denial grants nothing. Applied: to be reversed by the caller (route
     * fulfilment-reversal). Stuck after a billing send: the grant may have happened, so reversed here
     * and listed, once the send can no longer land. Being applied now, or a send that may still land:
     * {@link RetryLater}, since FirstPromoter sends the denial again.
     */
    public Denial takeDenial(CommissionEvent denial) {
        FulfilmentKey key = denial.key();
        Timestamp deniedAt = denial.occurredAt() == null ? null : Timestamp.from(denial.occurredAt());
        Timestamp now = Timestamp.from(clock.now());
        try {
            return transaction.execute(tx -> {
                Map<String, Object> row = lockForDenial(key, now);
                if (row == null) {
                    jdbc.update("""
                            INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, received_status,
                                event_at, state, created_at, updated_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'DENIED', ?, ?)""",
                            key.source().ledgerSource(), key.id(), denial.eventId(), unitColumn(denial.unit() == null ? "none" : denial.unit()),
                            denial.amount() == null ? null : amountColumn(denial.amount()),
                            denial.amount() == null ? null : denial.amount().toPlainString(),
                            denial.promoterId() == null ? 0L : denial.promoterId(), cut(denial.status(), 64), deniedAt, now, now);
                    return Denial.answered(key, denialRecorded(key));
                }
                FulfilmentState state = FulfilmentState.valueOf((String) row.get("state"));
                Timestamp newest = timestamp(row.get("event_at"));
                if (state != FulfilmentState.REVERSED && deniedAt != null && newest != null && deniedAt.before(newest)) {
                    return Denial.answered(key, olderThanNewest(key, "denial", deniedAt, newest));
                }
                return switch (state) {
                    case DENIED -> Denial.answered(key, deny(key, deniedAt, now));
                    case PARKED -> Denial.answered(key, mayHaveLanded(row.get("reason"))
                            ? reverseParked(key, row, deniedAt, now, denial.eventType() + " by FirstPromoter (event " + denial.eventId() + ")")
                            : deny(key, deniedAt, now));
                    case GRANTED -> {
                        // The denial is now the newest decision: an approval older than it changes nothing.
                        if (deniedAt != null) {
                            jdbc.update("UPDATE fulfilments SET event_at = ? WHERE source = ? AND fulfilment_id = ?",
                                    deniedAt, key.source().ledgerSource(), key.id());
                        }
                        yield Denial.reverseIt(key);
                    }
                    case REVERSED -> Denial.answered(key, Answer.reversed("commission " + key.id() + " was reversed before: nothing changed"));
                    case RECEIVED -> Denial.answered(key, denyStuck(key, row, deniedAt, now,
                            denial.eventType() + " by FirstPromoter (event " + denial.eventId() + ")"));
                    default -> Denial.answered(key, Answer.ignored("commission " + key.id() + " is " + state + ": nothing changed"));
                };
            });
        } catch (DuplicateKeyException approvalArrivedFirst) {
            throw new RetryLater("commission " + key.id() + " is being applied; its denial is taken in when it is done");
        }
    }

    /**
     * An approval FirstPromoter's API answered with the commission denied (reason: what it said): a
     * record that waits for nothing but that approval (parked, or stuck after a 503) is taken as denied
     * like a denial without a timestamp, so it leaves the operators' list. The answer: ignored.
     */
    public Answer deniedByFirstPromoter(CommissionEvent approval, String reason) {
        FulfilmentKey key = approval.key();
        Timestamp now = Timestamp.from(clock.now());
        Answer taken = transaction.execute(tx -> {
            Map<String, Object> row = lockForDenial(key, now);
            if (row == null) {
                return null;
            }
            return switch (FulfilmentState.valueOf((String) row.get("state"))) {
                case PARKED -> mayHaveLanded(row.get("reason"))
                        ? reverseParked(key, row, null, now, "denied in FirstPromoter's API (event " + approval.eventId() + ")")
                        : deny(key, null, now);
                case RECEIVED -> denyStuck(key, row, null, now, "denied in FirstPromoter's API (event " + approval.eventId() + ")");
                default -> null;
            };
        });
        return taken == null ? Answer.ignored(reason) : Answer.ignored(reason + "; " + taken.detail());
    }

    private Map<String, Object> lockForDenial(FulfilmentKey key, Timestamp now) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT state, reason, event_at, unit, lease_until IS NOT NULL AND lease_until > ? AS leased
                FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE""", now, key.source().ledgerSource(), key.id());
        return rows.isEmpty() ? null : rows.get(0);
    }

    private static boolean mayHaveLanded(Object reason) {
        return reason instanceof String r && r.startsWith(MAY_HAVE_LANDED);
    }

    /** A denial of a grant parked because a lost request may have granted it: reversed and listed, never merely DENIED. */
    private Answer reverseParked(FulfilmentKey key, Map<String, Object> row, Timestamp deniedAt, Timestamp now, String note) {
        String listed = "reversed by FirstPromoter after its grant was parked: " + row.get("reason") + "; review the customer";
        jdbc.update("""
                UPDATE fulfilments SET state = 'REVERSED', reason = ?, reversal_note = ?, reversed_at = ?, updated_at = ?,
                    event_at = CASE WHEN event_at IS NULL OR event_at < ? THEN ? ELSE event_at END
                WHERE source = ? AND fulfilment_id = ? AND state = 'PARKED'""",
                cut(listed, 1000), cut(note, 1000), now, now, deniedAt, deniedAt, key.source().ledgerSource(), key.id());
        String unit = (String) row.get("unit");
        return Answer.reversed("reversed: fulfilment " + key.id() + (unit == null ? "" : " (" + unit + ")")
                + ", the billing system not changed; listed for operators: " + cut(listed, 1000));
    }

    private static Answer denialRecorded(FulfilmentKey key) {
        return Answer.reversed("denial recorded: commission " + key.id()
                + " was not applied, and no approval older than this denial will apply it");
    }

    /** Not applied: DENIED, no longer listed nor held, its newest decision's time kept. */
    private Answer deny(FulfilmentKey key, Timestamp deniedAt, Timestamp now) {
        jdbc.update("""
                UPDATE fulfilments SET state = 'DENIED', reason = NULL, lease_holder = NULL, lease_until = NULL, updated_at = ?,
                    event_at = CASE WHEN event_at IS NULL OR event_at < ? THEN ? ELSE event_at END
                WHERE source = ? AND fulfilment_id = ?""", now, deniedAt, deniedAt, key.source().ledgerSource(), key.id());
        return denialRecorded(key);
    }

    /**
     * A denial of a RECEIVED record (locked): being applied, 503. Stuck (its lease ran out): no billing
     * send recorded for it, simply denied; a send that may still land, 503 until it cannot; a send that
     * took effect or may have, the grant happened: reversed and listed for operators (docs/promises.md,
     * Reversals), the billing system not changed.
     */
    private Answer denyStuck(FulfilmentKey key, Map<String, Object> row, Timestamp deniedAt, Timestamp now, String note) {
        if (Boolean.TRUE.equals(row.get("leased"))) {
            throw new RetryLater("commission " + key.id() + " is being applied; its denial is taken in when it is done");
        }
        Optional<GrantSends.Send> sent = sends.stream().map(s -> s.find(key)).flatMap(Optional::stream).findFirst();
        if (sent.isEmpty()) {
            return deny(key, deniedAt, now);
        }
        GrantSends.Send send = sent.get();
        if (send.mayStillLand(now.toInstant())) {
            throw new RetryLater("commission " + key.id() + "'s grant was sent to " + send.system() + " and its answer lost; it may "
                    + "still land until " + send.mayLandUntil() + ": its denial is taken in then");
        }
        String listed = Reversal.sentReview(send.system(), send.applied());
        jdbc.update("""
                UPDATE fulfilments SET state = 'REVERSED', reason = ?, reversal_note = ?, reversed_at = ?, updated_at = ?,
                    lease_holder = NULL, lease_until = NULL, event_at = CASE WHEN event_at IS NULL OR event_at < ? THEN ? ELSE event_at END
                WHERE source = ? AND fulfilment_id = ? AND state = 'RECEIVED'""",
                listed, cut(note, 1000), now, now, deniedAt, deniedAt, key.source().ledgerSource(), key.id());
        String unit = (String) row.get("unit");
        return Answer.reversed("reversed: fulfilment " + key.id() + (unit == null ? "" : " (" + unit + ")") + ", " + send.system()
                + " not changed; listed for operators: " + listed);
    }

    // ---- Reversals (contract 11): an applied reward taken back, once, in the caller's transaction.

    /**
     * Reverses the fulfilment if it was applied: REVERSED, with the operator's reason kept, and listed
     * for operators where Stripe or a sent payout needs a person. The row stays locked until the
     * caller's transaction ends, in which the caller adds the effect the result names (the ledger's
     * opposite entries, the outbox row withdrawn); a concurrent reversal then finds it REVERSED.
     */
    public Reversal reverse(FulfilmentKey key, String note) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("a reversal commits with its effect: call it inside a transaction");
        }
        List<Map<String, Object>> rows = jdbc.queryForList(
                "SELECT unit, state, reversal_note, reversed_at FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE", key.source().ledgerSource(), key.id());
        if (rows.isEmpty()) {
            return new Reversal(key, Reversal.Found.UNKNOWN, null, null);
        }
        Map<String, Object> row = rows.get(0);
        String unit = (String) row.get("unit");
        FulfilmentState state = FulfilmentState.valueOf((String) row.get("state"));
        Reversal.Found found;
        String listed = Reversal.PAYOUT_REVIEW;
        String detail = null;
        switch (state) {
            case REVERSED -> {
                return new Reversal(key, Reversal.Found.ALREADY_REVERSED, unit, "at " + row.get("reversed_at")
                        + (row.get("reversal_note") == null ? "" : ": " + row.get("reversal_note")));
            }
            case RECEIVED, PARKED, DENIED -> {
                return new Reversal(key, Reversal.Found.NOT_APPLIED, unit,
                        state == FulfilmentState.RECEIVED ? "being applied (or stuck)" : state.name().toLowerCase());
            }
            case GRANTED -> {
                boolean ledger = "credits".equals(unit) || "points".equals(unit);
                found = ledger ? Reversal.Found.CREDITS : Reversal.Found.BILLING;
                listed = ledger ? null : Reversal.BILLING_REVIEW;
            }
            // Listed until its outbox row is found and withdrawn (payoutWithdrawn): the relay may have sent it.
            case QUEUED -> found = Reversal.Found.PAYOUT_QUEUED;
            // Sent: a FAILED payout may still be paid by a worker that corrects itself.
            case PAID, FAILED -> {
                found = Reversal.Found.PAYOUT_SENT;
                detail = state == FulfilmentState.PAID ? "and paid" : "and reported failed";
            }
            default -> throw new IllegalStateException("fulfilment " + key.id() + " is " + state);
        }
        Timestamp now = Timestamp.from(clock.now());
        int updated = jdbc.update("""
                UPDATE fulfilments SET state = 'REVERSED', reason = ?, reversal_note = ?, reversed_at = ?, updated_at = ?
                WHERE source = ? AND fulfilment_id = ? AND state = ?""", listed, cut(note, 1000), now, now, key.source().ledgerSource(), key.id(), state.name());
        if (updated != 1) {
            throw new IllegalStateException("fulfilment " + key.id() + " changed while it was locked for its reversal");
        }
        return new Reversal(key, found, unit, detail);
    }

    /**
     * A reversed payout's outbox rows deleted in the reversal's transaction: if one was there, the relay
     * (which deletes a row before it sends it) can never send it, and nothing needs a review.
     */
    public Reversal payoutWithdrawn(Reversal reversal, int outboxRowsDeleted) {
        if (!reversal.payoutInOutbox()) {
            throw new IllegalArgumentException("no payout to withdraw: " + reversal);
        }
        if (outboxRowsDeleted == 0) {
            return new Reversal(reversal.key(), Reversal.Found.PAYOUT_SENT, reversal.unit(), "by the outbox relay, not yet paid");
        }
        jdbc.update("UPDATE fulfilments SET reason = NULL WHERE source = ? AND fulfilment_id = ? AND state = 'REVERSED'", reversal.key().source().ledgerSource(), reversal.key().id());
        return new Reversal(reversal.key(), Reversal.Found.PAYOUT_WITHDRAWN, reversal.unit(), null);
    }

    /**
     * An operator checked a reversed reward listed for review (the customer in Stripe, a sent payout):
     * no longer listed; the reversal and its note stay. False when it was not listed.
     */
    public boolean dismissReversalReview(FulfilmentKey key) {
        return jdbc.update("UPDATE fulfilments SET reason = NULL, updated_at = ? WHERE source = ? AND fulfilment_id = ? AND " + REVERSED_TO_REVIEW,
                Timestamp.from(clock.now()), key.source().ledgerSource(), key.id()) == 1;
    }

    // ---- Payouts: the payout worker's results, in the transaction that called lockForPayoutResult. Each
    // changes the row only from the states it is meant for.

    /** A cash fulfilment as a payout result finds it, with its row locked for the result's transaction. */
    public record PayoutRecord(String unit, FulfilmentState state, int attempt, String payoutReference) {
    }

    public Optional<PayoutRecord> lockForPayoutResult(FulfilmentKey key) {
        return jdbc.query("SELECT unit, state, attempt, payout_reference FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE",
                (rs, n) -> new PayoutRecord(rs.getString("unit"), FulfilmentState.valueOf(rs.getString("state")),
                        rs.getInt("attempt"), rs.getString("payout_reference")), key.source().ledgerSource(), key.id()).stream().findFirst();
    }

    /**
     * The awaited payout was paid. FirstPromoter still holds the reward pending, to be told
     * (firstpromoter-notify), unless the delivery's queued answer already was a 200 and no replay
     * queued it since (a replay leaves the notice due).
     */
    public void markPaid(FulfilmentKey key, String reference, boolean queuedAnswerWas200) {
        Timestamp now = Timestamp.from(clock.now());
        jdbc.update("""
                UPDATE fulfilments SET state = 'PAID', reason = NULL, payout_reference = ?,
                    firstpromoter_notice = CASE WHEN firstpromoter_notice = 'DUE' OR ? THEN 'DUE' END,
                    firstpromoter_attempts = 0, firstpromoter_next_at = ?, updated_at = ?
                WHERE source = ? AND fulfilment_id = ? AND state IN ('QUEUED', 'FAILED')""", reference, !queuedAnswerWas200, now, now,
                key.source().ledgerSource(), key.id());
    }

    /** Paid, but listed as a payout anomaly: FirstPromoter's notice is left as it was. */
    public void markPaidKeepingNotice(FulfilmentKey key, String reference) {
        jdbc.update("UPDATE fulfilments SET state = 'PAID', reason = NULL, payout_reference = ?, updated_at = ? "
                + "WHERE source = ? AND fulfilment_id = ? AND state IN ('QUEUED', 'FAILED')", reference, Timestamp.from(clock.now()), key.source().ledgerSource(), key.id());
    }

    /** Keeps a payment's reference on a fulfilment whose state it does not change. */
    public void recordPayoutReference(FulfilmentKey key, String reference) {
        jdbc.update("UPDATE fulfilments SET payout_reference = ? WHERE source = ? AND fulfilment_id = ? AND state <> 'PAID'", reference, key.source().ledgerSource(), key.id());
    }

    /** The queued payout failed: FAILED, parked for an operator's replay. */
    public void markFailed(FulfilmentKey key, String reason, String reference) {
        jdbc.update("""
                UPDATE fulfilments SET state = 'FAILED', reason = ?, payout_reference = ?, updated_at = ?
                WHERE source = ? AND fulfilment_id = ? AND state = 'QUEUED'""", cut(reason, 1000), reference, Timestamp.from(clock.now()),
                key.source().ledgerSource(), key.id());
    }

    // ---- FirstPromoter's notice that a reward it holds pending is fulfilled (firstpromoter-notify).

    /**
     * Counts the next attempt to tell FirstPromoter before the call, so a crash loses no notice and a
     * second instance does not send the same one; false when another took it.
     */
    public boolean takeNoticeAttempt(FulfilmentKey key, int attemptsBefore, Instant nextAttemptAt) {
        return jdbc.update("""
                UPDATE fulfilments SET firstpromoter_attempts = ?, firstpromoter_next_at = ?
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                attemptsBefore + 1, Timestamp.from(nextAttemptAt), key.source().ledgerSource(), key.id(), attemptsBefore) == 1;
    }

    public void noticeSent(FulfilmentKey key, int attempt) {
        jdbc.update("""
                UPDATE fulfilments SET firstpromoter_notice = 'SENT', firstpromoter_notified_at = ?
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                Timestamp.from(clock.now()), key.source().ledgerSource(), key.id(), attempt);
    }

    public void noticeGaveUp(FulfilmentKey key, int attempt) {
        jdbc.update("""
                UPDATE fulfilments SET firstpromoter_notice = 'GAVE_UP'
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""", key.source().ledgerSource(), key.id(), attempt);
    }

    // ---- What waits for an operator (reads).

    /** Parked and failed fulfilments, and reversed ones to review, oldest first. */
    public List<Map<String, Object>> parked() {
        return jdbc.queryForList("SELECT source, fulfilment_id, unit, amount, state, " + LISTED_REASON + " AS reason, updated_at "
                + "FROM fulfilments WHERE state IN ('PARKED', 'FAILED') OR " + REVERSED_TO_REVIEW + " ORDER BY updated_at, fulfilment_id, source");
    }

    /**
     * Parked, failed, reversed to review and stuck fulfilments as the operators' table shows them,
     * oldest first. Reversed ones are listed, not counted in the parked gauge: like payout anomalies,
     * they need a look, not a replay.
     */
    public List<ParkedRow> parkedAndStuck() {
        return jdbc.query("SELECT source, fulfilment_id, unit, amount_received, amount, state, " + LISTED_REASON + """
                 AS reason, updated_at AS since FROM fulfilments
                WHERE state IN ('PARKED', 'FAILED') OR\s""" + REVERSED_TO_REVIEW + """

                UNION ALL
                SELECT source, fulfilment_id, unit, amount_received, amount, 'stuck', NULL, COALESCE(lease_until, updated_at)
                FROM fulfilments WHERE\s""" + STUCK + " ORDER BY since, fulfilment_id, source", (rs, n) -> {
                    String state = rs.getString("state");
                    BigDecimal cut = rs.getBigDecimal("amount");
                    String received = rs.getString("amount_received");
                    return new ParkedRow(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id"), rs.getString("unit"),
                            received != null ? received : cut == null ? null : cut.toPlainString(), state,
                            rs.getTimestamp("since").toInstant(), "stuck".equals(state) ? STUCK_REASON : rs.getString("reason"));
                }, stuckBefore());
    }

    /** How many fulfilments are parked, failed or stuck. */
    public long parkedAndStuckCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE state IN ('PARKED', 'FAILED') OR " + STUCK,
                Long.class, stuckBefore());
    }

    /** Since when the oldest parked, failed or stuck fulfilment waits; null when none does. */
    public Instant oldestParkedOrStuckSince() {
        return jdbc.query("""
                SELECT MIN(CASE WHEN state = 'RECEIVED' THEN COALESCE(lease_until, updated_at) ELSE updated_at END)
                FROM fulfilments WHERE state IN ('PARKED', 'FAILED') OR\s""" + STUCK,
                rs -> rs.next() && rs.getTimestamp(1) != null ? rs.getTimestamp(1).toInstant() : null, stuckBefore());
    }

    private Timestamp stuckBefore() {
        return Timestamp.from(clock.now().minus(stuckAfter));
    }

    /** The keys (each with its source) of the fulfilments parked or failed with this reason, or stuck, oldest first. */
    public List<FulfilmentKey> parkedWithReason(String reason) {
        RowMapper<FulfilmentKey> key = (rs, n) -> new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id"));
        return STUCK_REASON.equals(reason)
                ? jdbc.query("SELECT source, fulfilment_id FROM fulfilments WHERE " + STUCK
                        + " ORDER BY COALESCE(lease_until, updated_at), fulfilment_id, source", key, stuckBefore())
                : jdbc.query("SELECT source, fulfilment_id FROM fulfilments WHERE state IN ('PARKED', 'FAILED') AND reason = ? "
                        + "ORDER BY updated_at, fulfilment_id, source", key, reason);
    }

    /** Fulfilments by unit and state. */
    public List<String> counts() {
        return jdbc.queryForList("SELECT unit, state, COUNT(*) AS n FROM fulfilments GROUP BY unit, state ORDER BY unit, state")
                .stream().map(r -> r.get("unit") + " " + r.get("state") + " " + r.get("n")).toList();
    }

    private static String unitColumn(String unit) {
        return cut(unit, 64);
    }

    /** The amount as the column holds it; one outside DECIMAL(38, 8) is parked anyway and kept as null. */
    private static BigDecimal amountColumn(BigDecimal amount) {
        if (amount.abs().compareTo(COLUMN_LIMIT) >= 0) {
            return null;
        }
        return amount.scale() > 8 ? amount.setScale(8, RoundingMode.DOWN) : amount;
    }

    private static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    private record Decision(boolean claimed, int attempt, Answer answer) {
        static final Decision CLAIMED_FIRST = new Decision(true, 0, null);
        static final Decision WAIT = new Decision(false, 0, null);

        static Decision answered(Answer answer) {
            return new Decision(false, 0, answer);
        }
    }

    // ---- Webhooks v2's mark_fulfilled (contract 8).

    /**
     * Counts the next attempt to close a v2 commission in FirstPromoter before the call, as
     * takeNoticeAttempt does; the first attempt's time is kept, since the notice is retried until
     * retryFor has passed since then. The next attempt is due after backoff, but not past that end, so
     * the last attempt is made at it. Answers that end, or empty when another instance took the attempt.
     */
    public Optional<Instant> takeCommissionNoticeAttempt(FulfilmentKey key, int attemptsBefore, Duration backoff, Duration retryFor) {
        Instant now = clock.now();
        return transaction.execute(tx -> {
            List<Timestamp> first = jdbc.query("""
                    SELECT firstpromoter_first_tried_at FROM fulfilments
                    WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ? FOR UPDATE""",
                    (rs, n) -> rs.getTimestamp(1), key.source().ledgerSource(), key.id(), attemptsBefore);
            if (first.isEmpty()) {
                return Optional.<Instant>empty();
            }
            Instant firstTried = attemptsBefore == 0 || first.get(0) == null ? now : first.get(0).toInstant();
            Instant end = firstTried.plus(retryFor);
            Instant next = now.plus(backoff).isAfter(end) ? end : now.plus(backoff);
            int taken = jdbc.update("""
                    UPDATE fulfilments SET firstpromoter_attempts = ?, firstpromoter_next_at = ?, firstpromoter_first_tried_at = ?
                    WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                    attemptsBefore + 1, Timestamp.from(next), Timestamp.from(firstTried), key.source().ledgerSource(), key.id(),
                    attemptsBefore);
            return taken == 1 ? Optional.of(end) : Optional.<Instant>empty();
        });
    }

    /** Keeps what FirstPromoter answered to a failed attempt, for the operators' list. */
    public void noticeFailed(FulfilmentKey key, int attempt, String error) {
        jdbc.update("""
                UPDATE fulfilments SET firstpromoter_error = ?
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                cut(error, 1000), key.source().ledgerSource(), key.id(), attempt);
    }

    /** A reward FirstPromoter was not told is fulfilled (notice given up): to close there by hand. */
    public record UnclosedNotice(FulfilmentKey key, int attempts, Instant firstTriedAt, String lastError) {
    }

    /** Rewards whose notice was given up, oldest first: FirstPromoter still holds them pending. */
    public List<UnclosedNotice> unclosedInFirstPromoter() {
        return jdbc.query("""
                SELECT source, fulfilment_id, firstpromoter_attempts, firstpromoter_first_tried_at, firstpromoter_error
                FROM fulfilments WHERE firstpromoter_notice = 'GAVE_UP' ORDER BY firstpromoter_next_at, source, fulfilment_id""",
                (rs, n) -> new UnclosedNotice(new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id")),
                        rs.getInt("firstpromoter_attempts"),
                        rs.getTimestamp("firstpromoter_first_tried_at") == null ? null : rs.getTimestamp("firstpromoter_first_tried_at").toInstant(),
                        rs.getString("firstpromoter_error")));
    }

    public long unclosedInFirstPromoterCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE firstpromoter_notice = 'GAVE_UP'", Long.class);
    }
}
