package io.fulfilmentbridge.fulfilment;

import java.util.Objects;

/**
 * What the sender (or the operator replaying) is told: an outcome and a detail a person can act on.
 * The routes build the answers they decide with the factories below; beans return the ones they decide.
 */
public record Answer(Outcome outcome, String detail) {

    public Answer {
        Objects.requireNonNull(outcome, "outcome");
        detail = detail == null ? "" : detail;
    }

    public static Answer granted(String detail) {
        return new Answer(Outcome.GRANTED, detail);
    }

    public static Answer reversed(String detail) {
        return new Answer(Outcome.REVERSED, detail);
    }

    public static Answer parked(String reason) {
        return new Answer(Outcome.PARKED, reason);
    }

    public static Answer ignored(String detail) {
        return new Answer(Outcome.IGNORED, detail);
    }

    public static Answer rejected(String reason) {
        return new Answer(Outcome.REJECTED, reason);
    }

    public static Answer retry(String reason) {
        return new Answer(Outcome.RETRY, reason);
    }

    public static Answer error() {
        return new Answer(Outcome.ERROR, "internal error; nothing was applied");
    }

    /** Credits and points booked. */
    public static Answer credited(Fulfilment f) {
        return granted("credited " + f.amount().toPlainString() + " " + f.unit() + " to " + f.ledgerAccount());
    }

    public static Answer queued(String detail) {
        return new Answer(Outcome.QUEUED, detail);
    }

    /** Cash written to the payout outbox with its QUEUED state. */
    public static Answer queued(Fulfilment f, Claim claim) {
        return queuedAttempt(f, claim.attempt());
    }

    /** The first attempt of a cash fulfilment recorded QUEUED with its outbox row, without a claim. */
    public static Answer queuedFirst(Fulfilment f) {
        return queuedAttempt(f, 1);
    }

    private static Answer queuedAttempt(Fulfilment f, int attempt) {
        return queued("payout of " + f.amount().toPlainString() + " cents queued (attempt " + attempt + "), not yet paid");
    }
}
