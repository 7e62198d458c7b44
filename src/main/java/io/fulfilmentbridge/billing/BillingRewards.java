package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.RewardLimits;
import io.fulfilmentbridge.fulfilment.Unit;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

/**
 * Free months and discounts, as routes free-months and discounts apply them (template billing-grant): within their bounds (docs/settings.md,
 * bridge.limits), in the billing system the team uses.
 */
@Component("billingRewards")
public class BillingRewards {

    private final RewardLimits limits;
    private final BillingSystem billing;

    public BillingRewards(RewardLimits limits, @Qualifier("billing") BillingSystem billing) {
        this.limits = limits;
        this.billing = billing;
    }

    /** Granted once (the detail says how), or why it cannot be: out of bounds, or the system's reason to park it. */
    public GrantResult grant(Fulfilment fulfilment, Claim claim, Deadline deadline) throws InterruptedException {
        boolean freeMonths = fulfilment.unitKind() == Unit.FREE_MONTHS;
        if (!freeMonths && !fulfilment.unitKind().discount()) {
            throw new IllegalArgumentException("not a billing reward: " + fulfilment.unit());
        }
        String outOfBounds = freeMonths ? limits.freeMonths(fulfilment) : limits.discount(fulfilment);
        if (outOfBounds != null) {
            return GrantResult.parked(outOfBounds);
        }
        return freeMonths ? billing.grantFreeMonths(fulfilment, claim, deadline) : billing.grantDiscount(fulfilment, claim, deadline);
    }
}
