package io.fulfilmentbridge.recurly;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** DOWN while Recurly refuses the API key (401/403): every grant would answer 503 until it is fixed. */
@Component("recurly")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "recurly")
public class RecurlyHealth implements HealthIndicator {

    private final RecurlyCalls recurly;

    public RecurlyHealth(RecurlyCalls recurly, MeterRegistry meters) {
        this.recurly = recurly;
        // 1 while the system refuses the key: an alert, since every grant of it answers 503 until fixed.
        Gauge.builder("bridge.billing.key.refused", recurly, calls -> calls.keyRefused() == null ? 0 : 1).tag("system", "recurly")
                .description("1 while the billing system refuses the API key").register(meters);
    }

    @Override
    public Health health() {
        if (!recurly.isConfigured()) {
            return Health.up().withDetail("configured", false).build();
        }
        String refused = recurly.keyRefused();
        return refused == null ? Health.up().build() : Health.down().withDetail("error", refused).build();
    }
}
