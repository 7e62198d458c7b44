package io.fulfilmentbridge.chargebee;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** DOWN while Chargebee refuses the API key (401/403): every grant would answer 503 until it is fixed. */
@Component("chargebee")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "chargebee")
public class ChargebeeHealth implements HealthIndicator {

    private final ChargebeeCalls chargebee;

    public ChargebeeHealth(ChargebeeCalls chargebee, MeterRegistry meters) {
        this.chargebee = chargebee;
        // 1 while the system refuses the key: an alert, since every grant of it answers 503 until fixed.
        Gauge.builder("bridge.billing.key.refused", chargebee, calls -> calls.keyRefused() == null ? 0 : 1).tag("system", "chargebee")
                .description("1 while the billing system refuses the API key").register(meters);
    }

    @Override
    public Health health() {
        if (!chargebee.isConfigured()) {
            return Health.up().withDetail("configured", false).build();
        }
        String refused = chargebee.keyRefused();
        return refused == null ? Health.up().build() : Health.down().withDetail("error", refused).build();
    }
}
