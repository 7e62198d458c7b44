package io.fulfilmentbridge.recurly;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** DOWN while Recurly refuses the API key (401/403): every grant would answer 503 until it is fixed. */
@Component("recurly")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "recurly")
public class RecurlyHealth implements HealthIndicator {

    private final RecurlyCalls recurly;

    public RecurlyHealth(RecurlyCalls recurly) {
        this.recurly = recurly;
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
