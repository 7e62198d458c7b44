package io.fulfilmentbridge.fulfilment;

import java.util.Objects;

/**
 * What an approved commission comes to once FirstPromoter's API said whose reward it is (docs/promises.md, Whose reward):
 * a fulfilment to apply; or one to park, with the reason a person must read; or nothing to do, because
 * FirstPromoter applies it itself, or its API has the commission denied (a record waiting for this
 * approval is then taken as denied).
 *
 * @param fulfilment the reward, with its recipient as far as it is known (also when parked)
 * @param decision APPLY, PARK, IGNORE or DENIED
 * @param reason why it is parked or ignored; null for APPLY
 */
public record ApprovedReward(Fulfilment fulfilment, Decision decision, String reason) {

    public enum Decision {
        APPLY,
        PARK,
        IGNORE,
        DENIED
    }

    public ApprovedReward {
        Objects.requireNonNull(fulfilment, "fulfilment");
        Objects.requireNonNull(decision, "decision");
        if (decision != Decision.APPLY && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException("a parked or ignored reward needs its reason");
        }
    }

    public static ApprovedReward apply(Fulfilment fulfilment) {
        return new ApprovedReward(fulfilment, Decision.APPLY, null);
    }

    public static ApprovedReward park(Fulfilment fulfilment, String reason) {
        return new ApprovedReward(fulfilment, Decision.PARK, reason);
    }

    public static ApprovedReward ignore(Fulfilment fulfilment, String reason) {
        return new ApprovedReward(fulfilment, Decision.IGNORE, reason);
    }

    public static ApprovedReward denied(Fulfilment fulfilment, String reason) {
        return new ApprovedReward(fulfilment, Decision.DENIED, reason);
    }

    public boolean applies() {
        return decision == Decision.APPLY;
    }

    public boolean parks() {
        return decision == Decision.PARK;
    }

    /** Nothing applied: ignored, or denied in FirstPromoter's API. */
    public boolean ignored() {
        return decision == Decision.IGNORE || decision == Decision.DENIED;
    }

    public boolean deniedByFirstPromoter() {
        return decision == Decision.DENIED;
    }
}
