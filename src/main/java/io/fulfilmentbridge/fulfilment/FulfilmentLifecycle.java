package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.GRANTED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.PARKED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.QUEUED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.RECEIVED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.REVERSED;

import io.fulfilmentbridge.tracing.Spans;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The fulfilment's lifecycle: the only writer of fulfilments.state, and only along the moves
 * {@link FulfilmentState#mayMoveTo} allows; any other is refused with an IllegalStateException before
 * any SQL runs. Every state write is an update guarded by the state (or states) the writer saw, so a
 * race lost matches no row, as it always has. One row per fulfilment key, the claim that makes each
 * grant happen at most once ({@link FulfilmentClaims}); the moves under a claim's lease
 * ({@link Claim}) are here, made in the transaction that applies their effect, as are the moves of a
 * row without a lease (another delivery's grant found applied or refused while settling). Every move
 * to GRANTED makes a v2 commission's FirstPromoter notice due (docs/promises.md, Telling FirstPromoter).
 */
@Component
public class FulfilmentLifecycle {

    /**
     * A commission granted, or a legacy reward reconciliation applied: FirstPromoter is told (mark_fulfilled or
     * the v1 payout update, route firstpromoter-notify) from the committed row, so a crash after the commit
     * loses no call. Other legacy rows keep their notice: a legacy delivery's 200 told FirstPromoter itself,
     * and no delivery answers a reconciled one. Parameters: the time the first call is due, and the trace
     * the call is made in (the granting delivery's; docs/operations.md, Traces).
     */
    private static final String MARK_FULFILLED_DUE = """
            , firstpromoter_notice = CASE WHEN source = 'v2' OR reconciled_at IS NOT NULL THEN 'DUE' ELSE firstpromoter_notice END,
                firstpromoter_attempts = CASE WHEN source = 'v2' OR reconciled_at IS NOT NULL THEN 0 ELSE firstpromoter_attempts END,
                firstpromoter_next_at = CASE WHEN source = 'v2' OR reconciled_at IS NOT NULL THEN ? ELSE firstpromoter_next_at END,
                firstpromoter_traceparent = CASE WHEN source = 'v2' OR reconciled_at IS NOT NULL THEN ? ELSE firstpromoter_traceparent END""";
    private static final String INSERT_CLAIM = """
            INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref, email,
                received_status, recipient_kind, recipient_id, provider_coupon_id, discount_duration, event_at,
                state, lease_holder, lease_until, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final Spans spans;

    FulfilmentLifecycle(JdbcTemplate jdbc, DatabaseClock clock, Spans spans) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.spans = spans;
    }

    /** The trace this thread works in, as a traceparent kept with a notice made due now; null when tracing is off. */
    public String currentTrace() {
        return spans.traceparent();
    }

    // ---- Moves under the claim's lease: each throws RetryLater when another delivery took the fulfilment over.

    /** Parks the claimed fulfilment with the reason a person must read. */
    public Answer park(Claim claim, String reason, Deadline deadline) {
        requireLease(deadline.boundStatements(0, () -> write(underLease(claim, PARKED).set("reason", Columns.cut(reason, 1000)))),
                claim.key());
        return Answer.parked(reason);
    }

    /**
     * Marks the claimed fulfilment granted; call inside the transaction that applied the grant. A v2
     * commission's notice becomes due: FirstPromoter learns of it only through mark_fulfilled.
     */
    public void markGranted(Claim claim) {
        requireLease(write(underLease(claim, GRANTED).clear("reason")), claim.key());
    }

    /**
     * Marks the claimed fulfilments granted in one batch, inside the transaction that books their
     * ledger entries; if any was taken over, none is (the caller books them again one at a time).
     */
    public void markAllGranted(List<Claim> claims, List<String> traces) {
        if (claims.isEmpty()) {
            return;
        }
        Timestamp now = now();
        List<Move> moves = new ArrayList<>(claims.size());
        for (int i = 0; i < claims.size(); i++) {
            moves.add(underLease(claims.get(i), GRANTED, now).clear("reason").inTrace(traces.get(i)));
        }
        int[] updated = jdbc.batchUpdate(moves.get(0).sql(), moves.stream().map(Move::params).toList());
        for (int count : updated) {
            if (count != 1) {
                throw new RetryLater("the fulfilment was taken over by another delivery; retry later");
            }
        }
    }

    /** Marks the claimed cash fulfilment queued for its attempt; call inside the transaction that writes its outbox row. */
    public void markQueued(Claim claim) {
        requireLease(write(underLease(claim, QUEUED).clear("reason").set("attempt", claim.attempt())), claim.key());
    }

    /**
     * The claimed record says reconciliation applied it (docs/promises.md, Nothing lost when every delivery
     * failed); not a move: the state stays RECEIVED under the lease.
     */
    public void markReconciled(Claim claim, Deadline deadline) {
        requireLease(deadline.boundStatements(0, () -> jdbc.update(
                "UPDATE fulfilments SET reconciled_at = ? WHERE source = ? AND fulfilment_id = ? AND lease_holder = ?",
                now(), claim.key().source().ledgerSource(), claim.key().id(), claim.lease())), claim.key());
    }

    private Move underLease(Claim claim, FulfilmentState to) {
        return underLease(claim, to, now());
    }

    /** A held lease means RECEIVED: every move out of it clears the lease. */
    private static Move underLease(Claim claim, FulfilmentState to, Timestamp now) {
        return new Move(claim.key(), to, now).from(RECEIVED).clear("lease_holder", "lease_until")
                .where("lease_holder = ?", claim.lease());
    }

    static void requireLease(int updated, FulfilmentKey key) {
        if (updated != 1) {
            throw new RetryLater("fulfilment " + key.id() + " was taken over by another delivery; retry later");
        }
    }

    // ---- Moves without a lease: another delivery's grant found applied or refused while settling.

    /**
     * Whether a fulfilment was reversed: another delivery's grant of it whose answer was lost is then never
     * sent again (a denial reversed it and listed it for review; docs/promises.md, What proves a lost grant
     * landed).
     */
    public boolean isReversed(FulfilmentKey key) {
        return Boolean.TRUE.equals(jdbc.query("SELECT state FROM fulfilments WHERE source = ? AND fulfilment_id = ?",
                rs -> rs.next() && REVERSED.name().equals(rs.getString(1)), key.source().ledgerSource(), key.id()));
    }

    /**
     * A grant of another delivery's fulfilment, whose answer was lost, took effect: granted, if still being
     * applied, and a v2 commission's notice due like any other grant's.
     */
    public void settleGranted(FulfilmentKey key) {
        write(withoutLease(key, GRANTED).clear("reason"));
    }

    /** A grant of another delivery's fulfilment, whose answer was lost, was refused: parked, if still being applied. */
    public void settleParked(FulfilmentKey key, String reason) {
        write(withoutLease(key, PARKED).set("reason", Columns.cut(reason, 1000)));
    }

    private Move withoutLease(FulfilmentKey key, FulfilmentState to) {
        return move(key, to, now()).from(RECEIVED).clear("lease_holder", "lease_until");
    }

    // ---- First writes: a record inserted in its first state.

    /**
     * Fulfilments never seen before, recorded GRANTED at once, in the caller's transaction that books
     * their effect (the ledger's entries): one commit, no claim. True for each one inserted; false for
     * one already known, which the caller claims as usual (it may be granted, parked or being applied).
     * traces: each one's delivery's, for its notice.
     */
    public List<Boolean> insertGranted(List<Fulfilment> fulfilments, List<String> traces) {
        return insertSettled(fulfilments, GRANTED, traces);
    }

    /**
     * A cash fulfilment never seen before, recorded QUEUED for its first attempt in the caller's
     * transaction that writes its outbox row. False when it is known already: the caller claims it.
     */
    public boolean insertQueued(Fulfilment fulfilment) {
        return insertSettled(List.of(fulfilment), QUEUED, java.util.Collections.singletonList(null)).get(0);
    }

    private List<Boolean> insertSettled(List<Fulfilment> fulfilments, FulfilmentState state, List<String> traces) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("a fulfilment's state commits with its effect: call it inside a transaction");
        }
        Timestamp now = now();
        // A v2 commission granted is due to be marked fulfilled, as every move to GRANTED makes it (MARK_FULFILLED_DUE).
        int[] inserted = jdbc.batchUpdate("""
                INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref, email,
                    received_status, recipient_kind, recipient_id, provider_coupon_id, discount_duration, state, attempt,
                    created_at, updated_at, firstpromoter_notice, firstpromoter_attempts, firstpromoter_next_at, firstpromoter_traceparent)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? = 'v2' AND ? THEN 'DUE' END, 0, ?, ?)
                ON CONFLICT DO NOTHING""",
                java.util.stream.IntStream.range(0, fulfilments.size()).mapToObj(i -> {
                    Fulfilment f = fulfilments.get(i);
                    return new Object[] {f.key().source().ledgerSource(), f.id(), f.eventId(), Columns.unit(f.unit()),
                        Columns.amount(f.amount()), f.amount().toPlainString(), f.promoterId(), f.custId(), f.email(), f.status(),
                        Columns.recipientKind(f), f.recipient().id(), f.discount().providerCouponId(), Columns.discount(f), first(state),
                        state == QUEUED ? 1 : 0, now, now, f.key().source().ledgerSource(), state == GRANTED, now,
                        state == GRANTED ? traces.get(i) : null};
                }).toList());
        return counts(inserted, "a first " + state);
    }

    /** The parameters of a claim's first write (RECEIVED, with its lease): {@link #insertClaims}, {@link #insertClaim}. */
    static Object[] claimRow(Fulfilment f, Timestamp eventAt, String token, Timestamp until, Timestamp now) {
        return new Object[] {f.key().source().ledgerSource(), f.id(), f.eventId(), Columns.unit(f.unit()), Columns.amount(f.amount()),
                f.amount().toPlainString(), f.promoterId(), f.custId(), f.email(), f.status(), Columns.recipientKind(f), f.recipient().id(),
                f.discount().providerCouponId(), Columns.discount(f), eventAt, first(RECEIVED), token, until, now, now};
    }

    /** Claims inserted together; false for each key already there. */
    List<Boolean> insertClaims(List<Object[]> rows) {
        return counts(jdbc.batchUpdate(INSERT_CLAIM + " ON CONFLICT DO NOTHING", rows), "a claim");
    }

    /** One claim inserted; a DuplicateKeyException when the key is there already. */
    void insertClaim(Object[] row) {
        jdbc.update(INSERT_CLAIM, row);
    }

    /** An approval FirstPromoter's API did not answer for, kept as a claim whose lease has run out; a row already there is left. */
    void insertUnapplied(CommissionEvent approval, Timestamp now) {
        FulfilmentKey key = approval.key();
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, email, received_status,
                    event_at, state, lease_until, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                key.source().ledgerSource(), key.id(), approval.eventId(), Columns.unit(approval.unit()), Columns.amount(approval.amount()),
                approval.amount().toPlainString(), approval.promoterId() == null ? 0L : approval.promoterId(), approval.promoterEmail(),
                Columns.cut(approval.status(), 64), approval.occurredAt() == null ? null : Timestamp.from(approval.occurredAt()),
                first(RECEIVED), now, now, now);
    }

    /** A denial of a commission never seen: DENIED first; a DuplicateKeyException when an approval inserted it meanwhile. */
    void insertDenied(CommissionEvent denial, Timestamp deniedAt, Timestamp now) {
        FulfilmentKey key = denial.key();
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, received_status,
                    event_at, state, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                key.source().ledgerSource(), key.id(), denial.eventId(), Columns.unit(denial.unit() == null ? "none" : denial.unit()),
                denial.amount() == null ? null : Columns.amount(denial.amount()),
                denial.amount() == null ? null : denial.amount().toPlainString(),
                denial.promoterId() == null ? 0L : denial.promoterId(), Columns.cut(denial.status(), 64), deniedAt,
                first(FulfilmentState.DENIED), now, now);
    }

    private static String first(FulfilmentState state) {
        if (!state.mayBeFirst()) {
            throw new IllegalStateException("a fulfilment's record is never first written " + state);
        }
        return state.name();
    }

    private static List<Boolean> counts(int[] inserted, String what) {
        List<Boolean> result = new ArrayList<>(inserted.length);
        for (int count : inserted) {
            if (count != 0 && count != 1) {
                throw new IllegalStateException("the driver gave no row count for " + what);
            }
            result.add(count == 1);
        }
        return result;
    }

    /**
     * Begins the reason of a grant parked while settling a send whose answer was lost: it may have landed, so
     * a delivery never applies it again, only an operator's replay, and a denial reverses and lists it
     * (docs/promises.md, What proves a lost grant landed).
     */
    public static final String MAY_HAVE_LANDED = "a request whose answer was lost may have granted it, so only an operator's "
            + "replay applies it: ";

    static boolean mayHaveLanded(Object reason) {
        return reason instanceof String r && r.startsWith(MAY_HAVE_LANDED);
    }

    // ---- Every other state write of the package goes through a Move.

    /** A move of key's record to {@code to}, at {@code now} (its updated_at), from the states {@link Move#from} names. */
    static Move move(FulfilmentKey key, FulfilmentState to, Timestamp now) {
        return new Move(key, to, now);
    }

    /** Runs the move: its row count, 0 when the record was not in a state the move is from (a race lost). */
    int write(Move move) {
        if (!move.traced && move.to == GRANTED) {
            move.inTrace(currentTrace());
        }
        return jdbc.update(move.sql(), move.params());
    }

    Timestamp now() {
        return Timestamp.from(clock.now());
    }

    /**
     * One state write, built from the transition table: UPDATE ... SET state = to, the columns set, updated_at
     * (and the FirstPromoter notice when to is GRANTED) WHERE the key AND state IN (from...) AND the guards.
     */
    static final class Move {
        private final FulfilmentKey key;
        private final FulfilmentState to;
        private final Timestamp now;
        private final List<FulfilmentState> from = new ArrayList<>();
        private final StringBuilder sets = new StringBuilder();
        private final List<Object> setParams = new ArrayList<>();
        private final StringBuilder guards = new StringBuilder();
        private final List<Object> guardParams = new ArrayList<>();
        private String traceparent;
        private boolean traced;

        private Move(FulfilmentKey key, FulfilmentState to, Timestamp now) {
            this.key = key;
            this.to = to;
            this.now = now;
        }

        /** The states the record may be in; an IllegalStateException for one the table does not let move to {@code to}. */
        Move from(FulfilmentState... states) {
            for (FulfilmentState state : states) {
                if (!state.mayMoveTo(to)) {
                    throw new IllegalStateException("a fulfilment never moves from " + state + " to " + to);
                }
                from.add(state);
            }
            return this;
        }

        /** The trace a move to GRANTED keeps for its notice (else the writing thread's). */
        Move inTrace(String traceparent) {
            this.traceparent = traceparent;
            this.traced = true;
            return this;
        }

        /** Columns set to NULL. */
        Move clear(String... columns) {
            for (String column : columns) {
                sets.append(", ").append(column).append(" = NULL");
            }
            return this;
        }

        Move set(String column, Object value) {
            return setSql(column + " = ?", value);
        }

        /** Columns set by an expression; its parameters in order. */
        Move setSql(String assignments, Object... params) {
            sets.append(", ").append(assignments);
            setParams.addAll(Arrays.asList(params));
            return this;
        }

        /** A further condition on the row (the lease, ...): a race lost matches no row. */
        Move where(String condition, Object... params) {
            guards.append(" AND (").append(condition).append(')');
            guardParams.addAll(Arrays.asList(params));
            return this;
        }

        String sql() {
            if (from.isEmpty()) {
                throw new IllegalStateException("a move to " + to + " names the states it is from");
            }
            StringJoiner states = new StringJoiner(", ", "(", ")");
            from.forEach(s -> states.add("?"));
            return "UPDATE fulfilments SET state = ?" + sets + ", updated_at = ?" + (to == GRANTED ? MARK_FULFILLED_DUE : "")
                    + " WHERE source = ? AND fulfilment_id = ? AND state IN " + states + guards;
        }

        Object[] params() {
            List<Object> params = new ArrayList<>();
            params.add(to.name());
            params.addAll(setParams);
            params.add(now);
            if (to == GRANTED) {
                params.add(now);
                params.add(traceparent);
            }
            params.add(key.source().ledgerSource());
            params.add(key.id());
            from.forEach(s -> params.add(s.name()));
            params.addAll(guardParams);
            return params.toArray();
        }
    }
}
