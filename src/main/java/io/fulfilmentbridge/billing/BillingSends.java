package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.GrantSends;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The sends of Chargebee, Recurly and Paddle grants, from billing_grants: SENT is one whose answer was lost. */
@Component
public class BillingSends implements GrantSends {

    private final BillingGrants grants;

    public BillingSends(BillingGrants grants) {
        this.grants = grants;
    }

    @Override
    public Optional<Send> find(FulfilmentKey key) {
        return grants.find(key).map(g -> new Send(g.system(), g.applied(),
                g.keySentAt() == null ? null : g.keySentAt().plus(MAY_LAND_FOR)));
    }
}
