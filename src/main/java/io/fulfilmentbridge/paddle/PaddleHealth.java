package io.fulfilmentbridge.paddle;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** DOWN while Paddle refuses the API key (401/403): every free-months grant would answer 503 until it is fixed. */
@Component("paddle")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "paddle")
public class PaddleHealth implements HealthIndicator {

    private final PaddleCalls paddle;

    public PaddleHealth(PaddleCalls paddle, MeterRegistry meters) {
        this.paddle = paddle;
        // 1 while the system refuses the key: an alert, since every grant of it answers 503 until fixed.
        Gauge.builder("bridge.billing.key.refused", paddle, calls -> calls.keyRefused() == null ? 0 : 1).tag("system", "paddle")
                .description("1 while the billing system refuses the API key").register(meters);
    }

    @Override
    public Health health() {
        if (!paddle.isConfigured()) {
            return Health.up().withDetail("configured", false).build();
        }
        String refused = paddle.keyRefused();
        return refused == null ? Health.up().build() : Health.down().withDetail("error", refused).build();
    }
}
