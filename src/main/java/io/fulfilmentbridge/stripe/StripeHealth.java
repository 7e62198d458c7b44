package io.fulfilmentbridge.stripe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** DOWN while Stripe refuses the API key (401/403): every free-months grant would answer 503 until it is fixed. */
@Component("stripe")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "stripe", matchIfMissing = true)
public class StripeHealth implements HealthIndicator {

    private final StripeCalls stripe;

    public StripeHealth(StripeCalls stripe, MeterRegistry meters) {
        this.stripe = stripe;
        // 1 while the system refuses the key: an alert, since every grant of it answers 503 until fixed.
        Gauge.builder("bridge.billing.key.refused", stripe, calls -> calls.keyRefused() == null ? 0 : 1).tag("system", "stripe")
                .description("1 while the billing system refuses the API key").register(meters);
    }

    @Override
    public Health health() {
        if (!stripe.isConfigured()) {
            return Health.up().withDetail("configured", false).build();
        }
        String refused = stripe.keyRefused();
        return refused == null ? Health.up().build() : Health.down().withDetail("error", refused).build();
    }
}
