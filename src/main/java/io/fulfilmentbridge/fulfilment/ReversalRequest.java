package io.fulfilmentbridge.fulfilment;

import java.util.Objects;

/**
 * What route fulfilment-reversal is handed: the fulfilment to reverse, and the note kept with the
 * reversal (an operator's reason, or the v2 event that denied it).
 */
public record ReversalRequest(FulfilmentKey key, String note) {

    public ReversalRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(note, "note");
    }

    /** A v2 denial's reversal, noted with the event that denied it. */
    public static ReversalRequest of(Denial denial, CommissionEvent event) {
        return new ReversalRequest(denial.key(), event.eventType() + " by FirstPromoter (event " + event.eventId() + ")");
    }
}
