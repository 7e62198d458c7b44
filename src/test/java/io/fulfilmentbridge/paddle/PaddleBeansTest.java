package io.fulfilmentbridge.paddle;

import io.fulfilmentbridge.billing.BillingBeans;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** With bridge.billing.system=paddle (the context of the other Paddle tests), no other billing system's beans exist. */
class PaddleBeansTest extends PaddleBridgeSupport {

    @Autowired
    private ApplicationContext context;

    @Test
    void onlyThePaddleBeansExist() {
        BillingBeans.assertOnlyBeansOf(context, "paddle");
    }
}
