package io.fulfilmentbridge.chargebee;

import io.fulfilmentbridge.billing.BillingBeans;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** With bridge.billing.system=chargebee (the context of the other Chargebee tests), no other billing system's beans exist. */
class ChargebeeBeansTest extends ChargebeeBridgeSupport {

    @Autowired
    private ApplicationContext context;

    @Test
    void onlyTheChargebeeBeansExist() {
        BillingBeans.assertOnlyBeansOf(context, "chargebee");
    }
}
