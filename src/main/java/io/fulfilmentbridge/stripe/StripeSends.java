package io.fulfilmentbridge.stripe;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.GrantSends;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The sends of Stripe grants, from stripe_grants: SENT is one whose answer was lost. */
@Component
public class StripeSends implements GrantSends {

    private final StripeGrants grants;

    public StripeSends(StripeGrants grants) {
        this.grants = grants;
    }

    @Override
    public Optional<Send> find(FulfilmentKey key) {
        return grants.find(key).map(g -> new Send("Stripe", g.applied(), g.keySentAt().plus(MAY_LAND_FOR)));
    }
}
