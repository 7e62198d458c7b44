package io.fulfilmentbridge.fulfilment;


/**
 * The one place an outcome becomes the HTTP status FirstPromoter acts on: each outcome's default,
 * except queued, whose status bridge.cash.queued-status sets (202 keeps the reward pending until it is
 * paid; 200 would mark it completed at once).
 */
public class AnswerStatuses {

    private final int queuedStatus;

    public AnswerStatuses(int queuedStatus) {
        this.queuedStatus = queuedStatus;
    }

    public int status(Outcome outcome) {
        return outcome == Outcome.QUEUED ? queuedStatus : outcome.defaultStatus();
    }

    /** Whether a queued answer marks the reward completed in FirstPromoter (bridge.cash.queued-status 200). */
    public boolean queuedCompletes() {
        return queuedStatus == 200;
    }
}
