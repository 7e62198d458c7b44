package io.fulfilmentbridge.fulfilment;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Every delivery is answered within bridge.answer-within of its arrival; waits are cut to what is left.
 * The clock starts when the webhook's servlet filter first sees the request, not when a thread gets to
 * run its route: in a burst a delivery can wait for a thread. Database statements inside
 * {@link #boundStatements} are cut to what is left too ({@link DeadlineBoundJdbcTemplate}).
 */
@Component
public class AnswerDeadline {

    /** Request attribute set by the webhook filter, then exchange property: System.nanoTime() at arrival. */
    public static final String ARRIVED_AT = "io.fulfilmentbridge.arrivedAtNanos";
    /** Below this a delivery that waited for a thread is not started at all. */
    private static final long TOO_LATE_TO_START_MILLIS = 500;
    /** What clean-up after the deadline (releasing a claim or a lock) may still take, each. */
    public static final long CLEAN_UP_MILLIS = 200;
    private static final ThreadLocal<Long> STATEMENTS_UNTIL = new ThreadLocal<>();

    private final long budgetMillis;

    public AnswerDeadline(@Value("${bridge.answer-within:9s}") Duration answerWithin) {
        this.budgetMillis = answerWithin.toMillis();
    }

    public long remainingMillis(Exchange exchange) {
        Long arrivedAt = exchange.getProperty(ARRIVED_AT, Long.class);
        if (arrivedAt != null) {
            return budgetMillis - (System.nanoTime() - arrivedAt) / 1_000_000;
        }
        return exchange.getClock().getCreated() + budgetMillis - System.currentTimeMillis();
    }

    /**
     * The webhook route's first step: counts the deadline from the request's arrival. A request
     * attribute, so no sender can set it; a delivery that waited nearly all its time is answered 503.
     */
    public void countFromArrival(Exchange exchange) {
        if (exchange.getIn() instanceof PlatformHttpMessage http
                && http.getRequest().getAttribute(ARRIVED_AT) instanceof Long arrivedAt) {
            exchange.setProperty(ARRIVED_AT, arrivedAt);
        }
        if (remainingMillis(exchange) < TOO_LATE_TO_START_MILLIS) {
            throw new RetryLater("the bridge is busy: this delivery waited too long to be started; retry later");
        }
    }

    /**
     * Runs work whose database statements each get a query timeout of what is left of the deadline, but
     * at least graceMillis (for clean-up after the deadline, such as releasing a claim).
     */
    public <T> T boundStatements(Exchange exchange, long graceMillis, Supplier<T> work) {
        Long outer = STATEMENTS_UNTIL.get();
        long until = System.nanoTime() + Math.max(remainingMillis(exchange), graceMillis) * 1_000_000;
        STATEMENTS_UNTIL.set(outer == null ? until : Math.min(outer, until));
        try {
            return work.get();
        } finally {
            if (outer == null) {
                STATEMENTS_UNTIL.remove();
            } else {
                STATEMENTS_UNTIL.set(outer);
            }
        }
    }

    public void boundStatements(Exchange exchange, long graceMillis, Runnable work) {
        boundStatements(exchange, graceMillis, () -> {
            work.run();
            return null;
        });
    }

    /** What is left for a statement on this thread, when one is bound by {@link #boundStatements}. */
    static OptionalLong statementMillisLeft() {
        Long until = STATEMENTS_UNTIL.get();
        return until == null ? OptionalLong.empty() : OptionalLong.of((until - System.nanoTime()) / 1_000_000);
    }
}
