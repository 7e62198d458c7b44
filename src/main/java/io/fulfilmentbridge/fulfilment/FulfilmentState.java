package io.fulfilmentbridge.fulfilment;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The states of a fulfilment's record, written only by {@link FulfilmentLifecycle}, and the moves
 * between them it allows ({@link #mayMoveTo}): RECEIVED (claimed by a delivery, being applied) then
 * GRANTED, QUEUED (cash, then PAID or FAILED) or PARKED. FAILED and PARKED wait for an operator's
 * replay, which takes them back to RECEIVED. REVERSED: an applied reward taken back (docs/promises.md,
 * Reversals), for good: never applied or replayed again. DENIED: a v2 commission denied before it was
 * applied (docs/promises.md, Webhooks v2 events).
 */
public enum FulfilmentState {
    RECEIVED,
    GRANTED,
    QUEUED,
    PAID,
    FAILED,
    PARKED,
    REVERSED,
    /**
     * A webhooks v2 commission FirstPromoter denied before it was applied: kept so an approval older than
     * the denial grants nothing; a newer approval takes it like a parked one. Not listed for operators.
     */
    DENIED;

    /** The states a record is first written in: claimed, granted or queued at once, or denied first. */
    private static final Set<FulfilmentState> FIRST = Collections.unmodifiableSet(EnumSet.of(RECEIVED, GRANTED, QUEUED, DENIED));

    /** Every move a record may make; anything else is refused by {@link FulfilmentLifecycle}. */
    private static final Map<FulfilmentState, Set<FulfilmentState>> MOVES = new EnumMap<>(FulfilmentState.class);

    static {
        // RECEIVED -> RECEIVED: a delivery or a replay takes over a lease that ran out.
        // RECEIVED -> DENIED, REVERSED: a denial of an approval that was never applied, or stuck after a billing send.
        MOVES.put(RECEIVED, EnumSet.of(RECEIVED, GRANTED, QUEUED, PARKED, DENIED, REVERSED));
        MOVES.put(GRANTED, EnumSet.of(REVERSED));
        MOVES.put(QUEUED, EnumSet.of(PAID, FAILED, REVERSED));
        MOVES.put(PAID, EnumSet.of(REVERSED));
        // FAILED -> PAID: a worker that corrects itself; FAILED -> RECEIVED: an operator's replay.
        MOVES.put(FAILED, EnumSet.of(RECEIVED, PAID, REVERSED));
        MOVES.put(PARKED, EnumSet.of(RECEIVED, DENIED, REVERSED));
        // DENIED -> DENIED: a newer denial keeps its time; a newer approval takes it like a parked one.
        MOVES.put(DENIED, EnumSet.of(RECEIVED, DENIED));
        MOVES.put(REVERSED, EnumSet.noneOf(FulfilmentState.class));
    }

    /** Whether a record in this state may be written in {@code next}. */
    public boolean mayMoveTo(FulfilmentState next) {
        return MOVES.get(this).contains(next);
    }

    /** Whether a record may be first written in this state. */
    public boolean mayBeFirst() {
        return FIRST.contains(this);
    }

    /** A replay takes these back (and a RECEIVED one whose lease ran out long ago: stuck). */
    public boolean waitsForOperator() {
        return this == PARKED || this == FAILED;
    }
}
