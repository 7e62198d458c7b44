package io.fulfilmentbridge.stripe;

import io.fulfilmentbridge.billing.BillingSettings;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.GrantSends;
import java.time.Duration;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The sends of Stripe grants, from stripe_grants: SENT is one whose answer was lost. */
@Component
public class StripeSends implements GrantSends {

    private final StripeGrants grants;
    private final Duration mayLandFor;

    public StripeSends(StripeGrants grants, BillingSettings billing) {
        this.grants = grants;
        this.mayLandFor = billing.mayLandFor();
    }

    @Override
    public Optional<Send> find(FulfilmentKey key) {
        return grants.find(key).map(g -> new Send("Stripe", g.applied(), g.keySentAt().plus(mayLandFor)));
    }
}
