package io.fulfilmentbridge.firstpromoter;

import io.fulfilmentbridge.fulfilment.ApprovedReward;
import io.fulfilmentbridge.fulfilment.CommissionDecisions;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RetryLater;
import org.springframework.stereotype.Component;

/**
 * Whose reward an approved commission is, read from FirstPromoter's API (route commission-approval).
 * When the API cannot say now, the approval is kept unapplied before the 503, so it is listed as stuck
 * if no retry comes (docs/promises.md, Webhooks v2 events).
 */
@Component("commissionApprovals")
public class CommissionApprovals {

    private final FirstPromoterCommissions commissions;
    private final CommissionDecisions decisions;

    public CommissionApprovals(FirstPromoterCommissions commissions, CommissionDecisions decisions) {
        this.commissions = commissions;
        this.decisions = decisions;
    }

    public ApprovedReward approvedReward(CommissionEvent approval, Deadline deadline) {
        try {
            return commissions.approvedReward(approval, deadline);
        } catch (RetryLater apiCannotSayNow) {
            decisions.keepUnapplied(approval);
            throw apiCannotSayNow;
        }
    }
}
