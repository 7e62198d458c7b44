package io.fulfilmentbridge.paddle;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The bridge with Paddle Billing chosen, against the Paddle stand-in, reset before each test. An
 * interface, so the Paddle tests and the billing port's contract share one configuration (and one
 * application context).
 */
@TestPropertySource(properties = {"bridge.billing.system=paddle", "bridge.paddle.api-key=" + PaddleBridge.PADDLE_KEY,
        "bridge.paddle.read-timeout=2s"})
interface PaddleBridge {

    String PADDLE_KEY = "pdl_sdbx_apikey_01test_key_for_tests_only";
    PaddleStandIn PADDLE = new PaddleStandIn(0);

    @DynamicPropertySource
    static void paddleStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.paddle.api-base", PADDLE::baseUrl);
    }

    @BeforeEach
    default void resetPaddle() {
        PADDLE.reset();
    }
}
