package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.SettingChecks;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which billing system grants free months.
 *
 * @param system the billing system whose adapter grants free months and discounts: stripe, chargebee, recurly or paddle (Paddle Billing)
 */
@ConfigurationProperties("bridge.billing")
public record BillingSettings(@DefaultValue("stripe") String system) {

    public BillingSettings {
        SettingChecks.notBlank(system, "bridge.billing.system");
    }
}
