package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Each adapter is a bean named "billing" switched on by its value of bridge.billing.system: a value
 * no adapter takes stops the start-up, naming the setting, rather than failing the first free-months grant.
 */
@Configuration(proxyBeanMethods = false)
class BillingConfiguration {

    @Bean
    SmartInitializingSingleton billingSystemChosen(ObjectProvider<BillingSystem> adapters, BillingSettings settings) {
        return () -> {
            if (adapters.getIfAvailable() == null) {
                throw new IllegalStateException("bridge.billing.system is '" + settings.system()
                        + "': no billing system of that name; this version has stripe, chargebee, recurly and paddle");
            }
        };
    }

    @Bean
    SmartInitializingSingleton mayLandForChecked(BillingSettings billing, FulfilmentSettings fulfilment) {
        return () -> BillingSettings.requireMayLandFor(billing.mayLandFor(), fulfilment.answerWithin());
    }
}
