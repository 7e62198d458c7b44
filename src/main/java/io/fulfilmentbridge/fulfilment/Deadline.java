package io.fulfilmentbridge.fulfilment;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The time a delivery has left before it must be answered (bridge.answer-within from its arrival).
 * Waits are cut to it; database statements run inside {@link #boundStatements} get it as their query
 * timeout ({@link DeadlineBoundJdbcTemplate}).
 */
public final class Deadline {

    /** What clean-up after the deadline (releasing a claim or a lock) may still take, each. */
    public static final long CLEAN_UP_MILLIS = 200;
    private static final ThreadLocal<Long> STATEMENTS_UNTIL = new ThreadLocal<>();

    private final long startNanos;
    private final long budgetMillis;

    private Deadline(long startNanos, long budgetMillis) {
        this.startNanos = startNanos;
        this.budgetMillis = budgetMillis;
    }

    /** A deadline of budget counted from startNanos (a System.nanoTime() reading). */
    public static Deadline from(long startNanos, Duration budget) {
        return new Deadline(startNanos, budget.toMillis());
    }

    public long remainingMillis() {
        return budgetMillis - (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * Runs work whose database statements each get a query timeout of what is left of the deadline, but
     * at least graceMillis (for clean-up after the deadline, such as releasing a claim).
     */
    public <T> T boundStatements(long graceMillis, Supplier<T> work) {
        Long outer = STATEMENTS_UNTIL.get();
        long until = System.nanoTime() + Math.max(remainingMillis(), graceMillis) * 1_000_000;
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

    public void boundStatements(long graceMillis, Runnable work) {
        boundStatements(graceMillis, () -> {
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
