package io.fulfilmentbridge.fulfilment;

import java.time.Instant;
import java.util.Objects;

/**
 * A reward a door hands to the one fulfilment route (docs/design.md, Routes): a legacy delivery, a webhooks
 * v2 approval (with its timestamp), or an operator's replay (with the claim it already holds).
 *
 * @param fulfilment the reward
 * @param approvedAt a v2 approval's timestamp, for the claim's ordering against a denial; else null
 * @param replayClaim the claim a replay took before reading what was stored; else null
 * @param parkReason why the door already knows it cannot be applied (FirstPromoter's API said so); else null
 */
public record FulfilmentRequest(Fulfilment fulfilment, Instant approvedAt, Claim replayClaim, String parkReason) {

    public FulfilmentRequest {
        Objects.requireNonNull(fulfilment, "fulfilment");
    }

    public static FulfilmentRequest delivery(Fulfilment fulfilment) {
        return new FulfilmentRequest(fulfilment, null, null, null);
    }

    /** An approved commission whose reward FirstPromoter's API named: applied, or parked for the reason it gave. */
    public static FulfilmentRequest approval(ApprovedReward reward, Instant approvedAt) {
        return new FulfilmentRequest(reward.fulfilment(), Objects.requireNonNull(approvedAt, "approvedAt"), null,
                reward.parks() ? reward.reason() : null);
    }

    public static FulfilmentRequest replay(FulfilmentClaims.Replay replay) {
        return new FulfilmentRequest(replay.fulfilment(), null, replay.claim(), null);
    }

    /** A replayed commission, as FirstPromoter's API reads it now: parked again unless it applies. */
    public static FulfilmentRequest replay(FulfilmentClaims.Replay replay, ApprovedReward reward) {
        return new FulfilmentRequest(reward.fulfilment(), null, replay.claim(), reward.applies() ? null : reward.reason());
    }

    /**
     * A first delivery of credits, points or cash is claimed by nobody before its route: the route records
     * it with its effect in one commit (docs/design.md, The first delivery's fast path).
     */
    boolean recordedWithItsEffect() {
        Unit unit = fulfilment.unitKind();
        return approvedAt == null && replayClaim == null && parkReason == null && (unit.ledger() || unit == Unit.CASH);
    }
}
