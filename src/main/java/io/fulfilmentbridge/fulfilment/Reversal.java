package io.fulfilmentbridge.fulfilment;

/**
 * What a reversal found and did, from {@link FulfilmentReversals#reverse}: what is taken back and how,
 * or why nothing was. The reversible ones are REVERSED in the same transaction as their effect (the
 * ledger's opposite entries, the payout withdrawn from the outbox).
 */
public record Reversal(FulfilmentKey key, Found found, String unit, String detail) {

    public enum Found {
        /** Credits or points: two entries opposite to the grant's are booked. */
        CREDITS,
        /** A Stripe reward: Stripe is left as it is (a free month may be used already), listed for review. */
        BILLING,
        /** A payout QUEUED: withdrawn if its outbox row is still there (then PAYOUT_WITHDRAWN), else PAYOUT_SENT. */
        PAYOUT_QUEUED,
        PAYOUT_WITHDRAWN,
        /** A payout the relay sent already (or paid, or failed): listed for review. */
        PAYOUT_SENT,
        /** Refusals: nothing changed. */
        UNKNOWN,
        NOT_APPLIED,
        ALREADY_REVERSED;

        public boolean refused() {
            return this == UNKNOWN || this == NOT_APPLIED || this == ALREADY_REVERSED;
        }
    }

    /** Listed for operators: Stripe rewards, and payouts the relay sent. */
    public static final String BILLING_REVIEW = "reversed by FirstPromoter after it was applied in Stripe: review the customer";
    public static final String PAYOUT_REVIEW = "reversed after the payout was queued";

    /** Listed for operators: a grant denied while stuck, after it was sent to the billing system. */
    public static String sentReview(String system, boolean applied) {
        return "reversed by FirstPromoter after its grant was sent to " + system
                + (applied ? "" : " (its answer was lost: it may have taken effect)") + ": review the customer";
    }

    public boolean creditsToReverse() {
        return found == Found.CREDITS;
    }

    public boolean payoutInOutbox() {
        return found == Found.PAYOUT_QUEUED;
    }

    /** The operator's answer: what happened, in a sentence. */
    public String text() {
        String subject = "fulfilment " + key.id() + (unit == null ? "" : " (" + unit + ")");
        return switch (found) {
            case CREDITS -> "reversed: " + subject + ", two ledger entries opposite to the grant's booked";
            case BILLING -> "reversed: " + subject + ", Stripe not changed; listed for operators: " + BILLING_REVIEW;
            case PAYOUT_QUEUED, PAYOUT_WITHDRAWN -> "reversed: " + subject + ", the payout was withdrawn from the outbox and will never be sent";
            case PAYOUT_SENT -> "reversed: " + subject + ", the payout was sent already (" + detail + "); listed for operators: "
                    + PAYOUT_REVIEW;
            case UNKNOWN -> "refused: fulfilment " + key.id() + " is unknown; nothing changed";
            case NOT_APPLIED -> "refused: " + subject + " is " + detail + ", not applied: nothing to reverse; nothing changed";
            case ALREADY_REVERSED -> "refused: " + subject + " was reversed before (" + detail + "); nothing changed";
        };
    }
}
