package io.fulfilmentbridge.stripe;

import io.fulfilmentbridge.billing.BillingBeans;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** With bridge.billing.system=stripe (the context of the other Stripe tests), no other billing system's beans exist. */
class StripeBeansTest extends StripeBridgeSupport {

    @Autowired
    private ApplicationContext context;

    @Test
    void onlyTheStripeBeansExist() {
        BillingBeans.assertOnlyBeansOf(context, "stripe");
    }
}
