package io.fulfilmentbridge.fulfilment;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.apache.camel.spi.Registry;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The fulfilments' real record keepers wired as the application wires them, for tests that run on a
 * database without the Spring context; bound into a Camel registry under their bean names.
 */
public record RealRecords(FulfilmentLifecycle lifecycle, FulfilmentClaims claims, CommissionDecisions decisions,
                          FulfilmentReversals reversals, PayoutRecords payouts, FirstPromoterNotices notices, OperatorQueries queries) {

    public static RealRecords on(JdbcTemplate jdbc, TransactionTemplate transaction, MeterRegistry meters, FulfilmentSettings settings) {
        DatabaseClock clock = new DatabaseClock(jdbc);
        FulfilmentLifecycle lifecycle = new FulfilmentLifecycle(jdbc, clock, io.fulfilmentbridge.tracing.Spans.off());
        CommissionDecisions decisions = new CommissionDecisions(jdbc, transaction, lifecycle, List.of());
        return new RealRecords(lifecycle, new FulfilmentClaims(jdbc, transaction, meters, settings, clock, lifecycle, decisions), decisions,
                new FulfilmentReversals(jdbc, transaction, lifecycle), new PayoutRecords(jdbc, lifecycle), new FirstPromoterNotices(jdbc, transaction, clock),
                new OperatorQueries(jdbc, clock, settings));
    }

    /** Under the names the routes use. */
    public void bindTo(Registry registry) {
        registry.bind("fulfilmentLifecycle", lifecycle);
        registry.bind("fulfilmentClaims", claims);
        registry.bind("commissionDecisions", decisions);
        registry.bind("fulfilmentReversals", reversals);
        registry.bind("payoutRecords", payouts);
        registry.bind("firstPromoterNotices", notices);
        registry.bind("operatorQueries", queries);
    }

    public void stop() throws InterruptedException {
        claims.stop();
    }
}
