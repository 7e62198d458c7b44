package io.fulfilmentbridge.chargebee;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The bridge with bridge.billing.system=chargebee against the Chargebee stand-in, reset before each
 * test. An interface, so the Chargebee tests and the billing port's contract share one configuration
 * (and one application context).
 */
@TestPropertySource(properties = {"bridge.billing.system=chargebee", "bridge.chargebee.site=acme-test",
        "bridge.chargebee.api-key=" + ChargebeeBridge.CHARGEBEE_KEY, "bridge.chargebee.read-timeout=2s"})
interface ChargebeeBridge {

    String CHARGEBEE_KEY = "test_cbkey_for_tests_only_Zq81";
    String BASIC = "Basic " + Base64.getEncoder().encodeToString((CHARGEBEE_KEY + ":").getBytes(StandardCharsets.UTF_8));
    ChargebeeStandIn CHARGEBEE = new ChargebeeStandIn(0);

    @DynamicPropertySource
    static void chargebeeStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.chargebee.api-base", CHARGEBEE::baseUrl);
    }

    @BeforeEach
    default void resetChargebee() {
        CHARGEBEE.reset();
    }
}
