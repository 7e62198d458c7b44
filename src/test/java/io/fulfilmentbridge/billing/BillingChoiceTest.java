package io.fulfilmentbridge.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** bridge.billing.system picks the adapter; a value no adapter takes stops the start-up, naming the setting. */
class BillingChoiceTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({BillingSettings.class, FulfilmentSettings.class})
    static class Settings {
    }

    private final ApplicationContextRunner bridge = new ApplicationContextRunner()
            .withUserConfiguration(Settings.class, BillingConfiguration.class);

    @Test
    void aSystemWithoutAnAdapterStopsTheStartUp() {
        bridge.withPropertyValues("bridge.billing.system=braintree").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasMessage("bridge.billing.system is 'braintree': no billing system "
                    + "of that name; this version has stripe, chargebee, recurly and paddle");
        });
    }

    @Test
    void theChosenAdapterStarts() {
        bridge.withPropertyValues("bridge.billing.system=stripe")
                .withBean("billing", BillingSystem.class, BillingChoiceTest::standIn)
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(BillingSystem.class));
    }

    @Test
    void aBlankSystemIsRefused() {
        bridge.withPropertyValues("bridge.billing.system= ").run(context ->
                assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("bridge.billing.system"));
    }

    @Test
    void aFenceShorterThanTwiceTheAnswerDeadlineStopsTheStartUpNamingTheSetting() {
        bridge.withPropertyValues("bridge.billing.system=stripe", "bridge.billing.may-land-for=10s")
                .withBean("billing", BillingSystem.class, BillingChoiceTest::standIn)
                .run(context -> assertThat(context.getStartupFailure()).hasMessage("bridge.billing.may-land-for (10s) "
                        + "must be at least twice bridge.answer-within (9s): a request to the billing system whose answer "
                        + "the bridge stopped waiting for may still be under way there that long"));
        bridge.withPropertyValues("bridge.billing.system=stripe", "bridge.billing.may-land-for=18s")
                .withBean("billing", BillingSystem.class, BillingChoiceTest::standIn)
                .run(context -> assertThat(context).hasNotFailed());
        bridge.withPropertyValues("bridge.billing.may-land-for=0s").run(context ->
                assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("bridge.billing.may-land-for must be more than 0"));
    }

    private static BillingSystem standIn() {
        return new BillingSystem() {
            @Override
            public GrantResult grantFreeMonths(Fulfilment fulfilment, Claim claim, Deadline deadline) {
                return GrantResult.parked("stand-in");
            }

            @Override
            public GrantResult grantDiscount(Fulfilment fulfilment, Claim claim, Deadline deadline) {
                return GrantResult.parked("stand-in");
            }
        };
    }
}
