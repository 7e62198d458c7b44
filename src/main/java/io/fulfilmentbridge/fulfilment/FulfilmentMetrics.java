package io.fulfilmentbridge.fulfilment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.function.Supplier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What Prometheus scrapes about fulfilments: bridge_fulfilments_total{unit,outcome} per answer (unit
 * is a known unit, "other", or "none" when the body was not read), and gauges of what waits for a
 * person or for the broker.
 */
@Component("fulfilmentMetrics")
public class FulfilmentMetrics {

    private final MeterRegistry registry;

    public FulfilmentMetrics(MeterRegistry registry, JdbcTemplate jdbc, OperatorQueries queries) {
        this.registry = registry;
        gauge("bridge.fulfilments.parked", "Fulfilments parked, with a failed payout, or stuck, waiting for a person",
                queries::parkedAndStuckCount);
        gauge("bridge.fulfilments.parked.oldest.age.seconds", "Age of the oldest parked, failed or stuck fulfilment",
                () -> {
                    Instant oldest = queries.oldestParkedOrStuckSince();
                    return oldest == null ? 0.0 : (System.currentTimeMillis() - oldest.toEpochMilli()) / 1000.0;
                });
        gauge("bridge.payouts.outbox.backlog", "Payouts queued in the outbox, not yet on the payout queue",
                () -> jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox", Long.class));
    }

    private void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, () -> {
            try {
                return value.get();
            } catch (RuntimeException databaseDown) {
                return Double.NaN;
            }
        }).description(description).register(registry);
    }

    /** Counts one answered delivery by its unit label (null before its unit was read) and outcome. */
    public void count(String unitLabel, Answer answer) {
        Counter.builder("bridge.fulfilments").description("Deliveries answered, by unit and outcome")
                .tag("unit", unitLabel == null ? "none" : unitLabel).tag("outcome", answer.outcome().label())
                .register(registry).increment();
    }
}
