package io.fulfilmentbridge.fulfilment;

import java.time.Instant;
import java.util.Objects;

/**
 * A reward a door hands to the one fulfilment route (docs/design.md, Routes): a legacy delivery, a webhooks
 * v2 approval (with its timestamp), an operator's replay (with the claim it already holds), or a reward
 * FirstPromoter still lists as open that reconciliation found (read as a delivery or an approval of it would be).
 *
 * @param kind which door it came through
 * @param fulfilment the reward
 * @param approvedAt a v2 approval's timestamp, for the claim's ordering against a denial (a reconciled
 *     commission's status_updated_at); null for an approval that carried none, and for the other kinds
 * @param replayClaim the claim a replay took before reading what was stored; else null
 * @param parkReason why the door already knows it cannot be applied (FirstPromoter's API said so); else null
 */
public record FulfilmentRequest(Kind kind, Fulfilment fulfilment, Instant approvedAt, Claim replayClaim, String parkReason) {

    public enum Kind {
        DELIVERY,
        APPROVAL,
        REPLAY,
        /** Found open in FirstPromoter's own list (docs/promises.md, Nothing lost when every delivery failed). */
        RECONCILIATION
    }

    public FulfilmentRequest {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(fulfilment, "fulfilment");
        if ((kind == Kind.REPLAY) != (replayClaim != null)) {
            throw new IllegalArgumentException("a replay, and only a replay, brings its claim");
        }
    }

    public static FulfilmentRequest delivery(Fulfilment fulfilment) {
        return new FulfilmentRequest(Kind.DELIVERY, fulfilment, null, null, null);
    }

    /**
     * An approved commission whose reward FirstPromoter's API named: applied, or parked for the reason it
     * gave. approvedAt is null when the event carried no timestamp (docs/promises.md, Webhooks v2 events).
     */
    public static FulfilmentRequest approval(ApprovedReward reward, Instant approvedAt) {
        return new FulfilmentRequest(Kind.APPROVAL, reward.fulfilment(), approvedAt, null, reward.parks() ? reward.reason() : null);
    }

    public static FulfilmentRequest replay(FulfilmentClaims.Replay replay) {
        return new FulfilmentRequest(Kind.REPLAY, replay.fulfilment(), null, replay.claim(), null);
    }

    /** A replayed commission, as FirstPromoter's API reads it now: parked again unless it applies. */
    public static FulfilmentRequest replay(FulfilmentClaims.Replay replay, ApprovedReward reward) {
        return new FulfilmentRequest(Kind.REPLAY, reward.fulfilment(), null, replay.claim(), reward.applies() ? null : reward.reason());
    }

    /**
     * A legacy payout FirstPromoter lists as pending, read as its delivery would be: always claimed first (never
     * recorded with its effect), so its record says reconciliation applied it and its close is made due with
     * its grant.
     */
    public static FulfilmentRequest reconciled(Fulfilment payout) {
        return new FulfilmentRequest(Kind.RECONCILIATION, payout, null, null, null);
    }

    /**
     * A commission FirstPromoter lists as approved and not fulfilled, whose reward its API named; ordered
     * against a denial by statusUpdatedAt, the commission's own time of its status, as an event's timestamp is.
     */
    public static FulfilmentRequest reconciled(ApprovedReward reward, Instant statusUpdatedAt) {
        return new FulfilmentRequest(Kind.RECONCILIATION, reward.fulfilment(), statusUpdatedAt, null,
                reward.parks() ? reward.reason() : null);
    }

    /**
     * A first delivery of credits, points or cash is claimed by nobody before its route: the route records
     * it with its effect in one commit (docs/design.md, The routes).
     */
    boolean recordedWithItsEffect() {
        Unit unit = fulfilment.unitKind();
        return kind == Kind.DELIVERY && (unit.ledger() || unit == Unit.CASH);
    }
}
