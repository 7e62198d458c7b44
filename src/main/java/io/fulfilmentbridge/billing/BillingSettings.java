package io.fulfilmentbridge.billing;

import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which billing system grants free months.
 *
 * @param system the billing system whose adapter grants free months: stripe (Chargebee, Recurly and Paddle Billing are planned)
 */
@ConfigurationProperties("bridge.billing")
public record BillingSettings(@DefaultValue("stripe") String system) {

    /** The adapters this version has. */
    public static final Set<String> SYSTEMS = Set.of("stripe");

    public BillingSettings {
        if (!SYSTEMS.contains(system)) {
            throw new IllegalArgumentException("bridge.billing.system must be one of " + SYSTEMS + ", not '" + system + "'");
        }
    }
}
