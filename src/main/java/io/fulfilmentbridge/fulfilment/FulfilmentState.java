package io.fulfilmentbridge.fulfilment;

/**
 * The states of a fulfilment's record, written only by {@link FulfilmentRecords}:
 * RECEIVED (claimed by a delivery, being applied) then GRANTED, QUEUED (cash, then PAID or FAILED)
 * or PARKED. FAILED and PARKED wait for an operator's replay, which takes them back to RECEIVED.
 * REVERSED: an applied reward taken back (contract 11), for good: never applied or replayed again.
 * DENIED: a v2 commission denied before it was applied (contract 9).
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

    /** A replay takes these back (and a RECEIVED one whose lease ran out long ago: stuck). */
    public boolean waitsForOperator() {
        return this == PARKED || this == FAILED;
    }
}
