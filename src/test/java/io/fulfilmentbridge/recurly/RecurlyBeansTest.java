package io.fulfilmentbridge.recurly;

import io.fulfilmentbridge.billing.BillingBeans;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** With bridge.billing.system=recurly (the context of the other Recurly tests), no other billing system's beans exist. */
class RecurlyBeansTest extends RecurlyBridgeSupport {

    @Autowired
    private ApplicationContext context;

    @Test
    void onlyTheRecurlyBeansExist() {
        BillingBeans.assertOnlyBeansOf(context, "recurly");
    }
}
