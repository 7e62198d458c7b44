package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.GrantSends;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * What a stuck approval's grant came to (in any of the billing systems), for its denial: billing_grants
 * says whether one was sent (SENT is one whose answer was lost), the send records until when its latest
 * lost request may still land (docs/promises.md, "What proves a lost grant landed": the fence).
 */
@Component
public class BillingGrantSends implements GrantSends {

    private final BillingGrants grants;
    private final BillingSends sends;

    public BillingGrantSends(BillingGrants grants, BillingSends sends) {
        this.grants = grants;
        this.sends = sends;
    }

    @Override
    public Optional<Send> find(FulfilmentKey key) {
        return grants.find(key).map(g -> new Send(g.system(), g.applied(), sends.mayLandUntil(key).orElse(null)));
    }
}
