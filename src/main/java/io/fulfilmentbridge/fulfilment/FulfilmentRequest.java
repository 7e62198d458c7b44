package io.fulfilmentbridge.fulfilment;

import java.time.Instant;
import java.util.Objects;

/**
 * A reward a door hands to the one fulfilment route (docs/design.md, Routes): a legacy delivery, a webhooks
 * v2 approval (with its timestamp), or an operator's replay (with the claim it already holds).
 *
 * @param kind which door it came through
 * @param fulfilment the reward
 * @param approvedAt a v2 approval's timestamp, for the claim's ordering against a denial; null for an
 *     approval that carried none, and for the other kinds
 * @param replayClaim the claim a replay took before reading what was stored; else null
 * @param parkReason why the door already knows it cannot be applied (FirstPromoter's API said so); else null
 */
public record FulfilmentRequest(Kind kind, Fulfilment fulfilment, Instant approvedAt, Claim replayClaim, String parkReason) {

    public enum Kind {
        DELIVERY,
        APPROVAL,
        REPLAY
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
     * A first delivery of credits, points or cash is claimed by nobody before its route: the route records
     * it with its effect in one commit (docs/design.md, The routes).
     */
    boolean recordedWithItsEffect() {
        Unit unit = fulfilment.unitKind();
        return kind == Kind.DELIVERY && (unit.ledger() || unit == Unit.CASH);
    }
}
