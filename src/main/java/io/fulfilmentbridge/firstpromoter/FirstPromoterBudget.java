package io.fulfilmentbridge.firstpromoter;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpHeaders;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * FirstPromoter's request budget, shared by every instance through one row of firstpromoter_budget
 * (docs/promises.md, Within FirstPromoter's limit): bridge.firstpromoter.requests-per-minute requests in
 * each minute of the database's clock, all instances and all calls together. Each call takes one request
 * first, by one UPDATE whose row count says whether it got it; no lock is held over the call itself.
 * Deliveries draw first: a background draw (reconciliation, notices) takes at most half of a minute's
 * budget and none while a delivery waits; a delivery waits for a request at most until its answer is due
 * (then {@link Spent}, a 503). A 429 pauses every instance until its Retry-After (60 s without one).
 */
@Component
class FirstPromoterBudget {

    /** Who draws: a delivery (a webhook's answer waits on it) or the background. */
    enum Caller {
        DELIVERY, RECONCILIATION, NOTICE;

        boolean background() {
            return this != DELIVERY;
        }

        String label() {
            return name().toLowerCase();
        }
    }

    /**
     * No request within the wait allowed: the call is not made. until: when one may be had again, on the
     * database's clock (null when not known); retryIn: how long from when it was refused.
     */
    static final class Spent extends RetryLater {
        private final transient Instant until;
        private final transient Duration retryIn;

        Spent(String reason, Instant until, Duration retryIn) {
            super(reason);
            this.until = until;
            this.retryIn = retryIn;
        }

        Instant until() {
            return until;
        }

        Duration retryIn() {
            return retryIn;
        }
    }

    static final Duration WINDOW = Duration.ofMinutes(1);
    /** The longest a reconciliation draw waits: a whole window's turn, and a little. */
    static final Duration BACKGROUND_WAIT = Duration.ofSeconds(75);
    /** A delivery found no request: background draws yield at least this long. */
    static final Duration DELIVERY_MARK = Duration.ofSeconds(1);
    /** A refused draw asks the database again after this at the latest (another instance, or an operator, may have changed the row). */
    static final Duration RECHECK = Duration.ofSeconds(1);
    /** The longest a 429 pauses every instance, whatever its Retry-After says (a limit counted per minute needs no more). */
    static final Duration MOST_PAUSE = Duration.ofMinutes(10);
    /** How far ahead of an instance's minute another's window may start, and a delivery's mark may reach. */
    static final Duration MOST_AHEAD = Duration.ofMinutes(1);
    private static final Timestamp NEVER = Timestamp.from(Instant.EPOCH);
    private static final Logger LOG = LoggerFactory.getLogger(FirstPromoterBudget.class);

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final int limit;
    private final int backgroundLimit;
    private final Map<Caller, Counter> waited = new EnumMap<>(Caller.class);
    private final Map<Caller, Counter> refused = new EnumMap<>(Caller.class);
    /** A background draw is not asked of the database before this (System.nanoTime()), once one was refused. */
    private volatile long backgroundNotBefore = System.nanoTime();
    /** Why the last background draw was refused. */
    private volatile String backgroundRefused = "";

    FirstPromoterBudget(JdbcTemplate jdbc, DatabaseClock clock, FirstPromoterSettings settings, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.limit = settings.requestsPerMinute();
        this.backgroundLimit = settings.requestsPerMinute() / 2;
        if (limit > FirstPromoterSettings.DOCUMENTED_LIMIT) {
            LOG.warn("bridge.firstpromoter.requests-per-minute is {}, above the {} a minute FirstPromoter documents per account: "
                    + "right only for an account whose limit FirstPromoter raised (or a stand-in); otherwise expect its 429s",
                    limit, FirstPromoterSettings.DOCUMENTED_LIMIT);
        }
        for (Caller caller : Caller.values()) {
            waited.put(caller, counter(meters, caller, "waited"));
            refused.put(caller, counter(meters, caller, "refused"));
        }
    }

    private static Counter counter(MeterRegistry meters, Caller caller, String outcome) {
        return meters == null ? null : Counter.builder("bridge.firstpromoter.budget.waits")
                .description("Calls to FirstPromoter that found no request in the shared budget at once: waited for one, or refused")
                .tag("class", caller.label()).tag("outcome", outcome).register(meters);
    }

    /** Takes one request for a call, waiting at most waitMillis for one; Spent when none came. The window it counts in. */
    Instant take(Caller caller, long waitMillis) {
        return await(caller, waitMillis, true);
    }

    /** A request taken for a call not made after all (another instance made it): counted back in its window, if still current. */
    void giveBack(Caller caller, Instant window) {
        jdbc.update("""
                UPDATE firstpromoter_budget SET used = used - 1,
                    background_used = CASE WHEN ? AND background_used > 0 THEN background_used - 1 ELSE background_used END
                WHERE id = 1 AND window_start = ? AND used > 0""", caller.background(), Timestamp.from(window));
    }

    /** Waits, at most waitMillis, until a draw of this caller would get a request, taking none (Spent when none came). */
    void awaitRoom(Caller caller, long waitMillis) {
        await(caller, waitMillis, false);
    }

    /** What FirstPromoter answered: a 429 pauses every instance until its Retry-After. */
    void answered(int status, HttpHeaders headers) {
        if (status == 429) {
            pause(ListAnswers.retryAfter(headers));
        }
    }

    void pause(Duration retryAfter) {
        Instant now = clock.now();
        Instant until = now.plus(retryAfter.compareTo(MOST_PAUSE) > 0 ? MOST_PAUSE : retryAfter);
        // A pause further ahead than any this bridge writes counts as passed (see drawn): replaced, never kept.
        jdbc.update("UPDATE firstpromoter_budget SET paused_until = CASE WHEN paused_until < ? OR paused_until > ? THEN ? "
                + "ELSE paused_until END WHERE id = 1", Timestamp.from(until), Timestamp.from(now.plus(MOST_PAUSE)), Timestamp.from(until));
        LOG.warn("FirstPromoter answered 429 Too Many Requests: no instance calls it before {} (its Retry-After, {} s)", until,
                retryAfter.toSeconds());
    }

    private Instant await(Caller caller, long waitMillis, boolean draw) {
        long end = System.nanoTime() + Math.max(0, waitMillis) * 1_000_000;
        boolean hadToWait = false;
        while (true) {
            if (caller.background() && backgroundNotBefore - System.nanoTime() > 0) {
                // Refused a moment ago: the database is not asked again before the budget can have room.
                if (backgroundNotBefore - end > 0) {
                    throw refuse(caller, backgroundRefused, null);
                }
                hadToWait = true;
                sleepNanos(backgroundNotBefore - System.nanoTime());
                continue;
            }
            Instant now = clock.now();
            Row row = draw ? null : row(now);
            if (draw ? drawn(caller, now) : row.room(caller, now)) {
                if (hadToWait) {
                    increment(waited, caller);
                }
                return now.truncatedTo(ChronoUnit.MINUTES);
            }
            if (row == null) {
                row = row(now);
            }
            Instant retryAt = row.retryAt(caller, now);
            long untilRetry = Duration.between(now, retryAt).toNanos();
            long left = end - System.nanoTime();
            if (caller == Caller.DELIVERY) {
                Duration mark = Duration.ofNanos(Math.max(left, DELIVERY_MARK.toNanos()));
                Instant waitingUntil = now.plus(mark);
                jdbc.update("""
                        UPDATE firstpromoter_budget SET deliveries_waiting_until = CASE WHEN deliveries_waiting_until < ?
                            OR deliveries_waiting_until > ? THEN ? ELSE deliveries_waiting_until END WHERE id = 1""",
                        Timestamp.from(waitingUntil), Timestamp.from(now.plus(MOST_AHEAD)), Timestamp.from(waitingUntil));
            } else {
                backgroundRefused = row.why(caller, now);
                backgroundNotBefore = System.nanoTime() + Math.min(untilRetry, RECHECK.toNanos());
            }
            if (untilRetry > left) {
                throw refuse(caller, row.why(caller, now), retryAt);
            }
            hadToWait = true;
            sleepNanos(Math.min(untilRetry, RECHECK.toNanos()));
        }
    }

    private Spent refuse(Caller caller, String why, Instant retryAt) {
        increment(refused, caller);
        Instant now = clock.now();
        Instant until = retryAt != null ? retryAt : now.plusNanos(Math.max(0, backgroundNotBefore - System.nanoTime()));
        Duration in = until.isBefore(now) ? Duration.ZERO : Duration.between(now, until);
        return new Spent(why + (caller == Caller.DELIVERY ? " before the answer is due; retry later" : ""), until, in);
    }

    private static void increment(Map<Caller, Counter> counters, Caller caller) {
        Counter counter = counters.get(caller);
        if (counter != null) {
            counter.increment();
        }
    }

    /**
     * The draw: one UPDATE, its row count the answer. A window before the current one counts afresh; one a
     * moment ahead (another instance's clock reading, at most {@link #MOST_AHEAD}) is taken as the current
     * one, never set back; one further ahead, and a pause or a delivery's mark further ahead than any this
     * bridge writes, are no reading at all (a clock gone wrong, a hand-edited row) and count as passed, so no
     * row can stop every instance for longer than a pause may last.
     */
    private boolean drawn(Caller caller, Instant now) {
        Timestamp at = Timestamp.from(now);
        Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
        Timestamp window = Timestamp.from(minute);
        Timestamp ahead = Timestamp.from(minute.plus(MOST_AHEAD));
        Timestamp pauseVoid = Timestamp.from(now.plus(MOST_PAUSE));
        if (caller.background()) {
            Timestamp markVoid = Timestamp.from(now.plus(MOST_AHEAD));
            return jdbc.update("""
                    UPDATE firstpromoter_budget SET
                        used = CASE WHEN window_start >= ? AND window_start <= ? THEN used + 1 ELSE 1 END,
                        background_used = CASE WHEN window_start >= ? AND window_start <= ? THEN background_used + 1 ELSE 1 END,
                        window_start = CASE WHEN window_start >= ? AND window_start <= ? THEN window_start ELSE ? END
                    WHERE id = 1 AND (paused_until <= ? OR paused_until > ?) AND (deliveries_waiting_until <= ? OR deliveries_waiting_until > ?)
                        AND (window_start < ? OR window_start > ? OR (used < ? AND background_used < ?))""",
                    window, ahead, window, ahead, window, ahead, window, at, pauseVoid, at, markVoid, window, ahead, limit,
                    backgroundLimit) == 1;
        }
        return jdbc.update("""
                UPDATE firstpromoter_budget SET
                    used = CASE WHEN window_start >= ? AND window_start <= ? THEN used + 1 ELSE 1 END,
                    background_used = CASE WHEN window_start >= ? AND window_start <= ? THEN background_used ELSE 0 END,
                    window_start = CASE WHEN window_start >= ? AND window_start <= ? THEN window_start ELSE ? END
                WHERE id = 1 AND (paused_until <= ? OR paused_until > ?) AND (window_start < ? OR window_start > ? OR used < ?)""",
                window, ahead, window, ahead, window, ahead, window, at, pauseVoid, window, ahead, limit) == 1;
    }

    /** The row as it is at now; written afresh (as migration V19 does) should it be missing. */
    private Row row(Instant now) {
        List<Row> rows = jdbc.query("""
                SELECT window_start, used, background_used, deliveries_waiting_until, paused_until FROM firstpromoter_budget WHERE id = 1""",
                (rs, n) -> new Row(rs.getTimestamp(1).toInstant(), rs.getInt(2), rs.getInt(3), rs.getTimestamp(4).toInstant(),
                        rs.getTimestamp(5).toInstant(), now));
        if (!rows.isEmpty()) {
            return rows.get(0);
        }
        jdbc.update("""
                INSERT INTO firstpromoter_budget (id, window_start, used, background_used, deliveries_waiting_until, paused_until)
                VALUES (1, ?, 0, 0, ?, ?) ON CONFLICT DO NOTHING""", NEVER, NEVER, NEVER);
        return new Row(Instant.EPOCH, 0, 0, Instant.EPOCH, Instant.EPOCH, now);
    }

    /** The shared row as read. */
    private final class Row {
        private final Instant windowStart;
        private final int used;
        private final int backgroundUsed;
        private final Instant deliveriesWaitingUntil;
        private final Instant pausedUntil;

        /** As the draws read it: what lies further ahead than this bridge ever writes counts as passed. */
        Row(Instant windowStart, int used, int backgroundUsed, Instant deliveriesWaitingUntil, Instant pausedUntil, Instant now) {
            boolean windowVoid = windowStart.isAfter(now.truncatedTo(ChronoUnit.MINUTES).plus(MOST_AHEAD));
            this.windowStart = windowVoid ? Instant.EPOCH : windowStart;
            this.used = windowVoid ? 0 : used;
            this.backgroundUsed = windowVoid ? 0 : backgroundUsed;
            this.deliveriesWaitingUntil = deliveriesWaitingUntil.isAfter(now.plus(MOST_AHEAD)) ? Instant.EPOCH : deliveriesWaitingUntil;
            this.pausedUntil = pausedUntil.isAfter(now.plus(MOST_PAUSE)) ? Instant.EPOCH : pausedUntil;
        }

        private boolean windowFull(Caller caller, Instant now) {
            return !windowStart.isBefore(now.truncatedTo(ChronoUnit.MINUTES))
                    && (used >= limit || (caller.background() && backgroundUsed >= backgroundLimit));
        }

        boolean room(Caller caller, Instant now) {
            return !pausedUntil.isAfter(now) && !windowFull(caller, now) && !(caller.background() && deliveriesWaitingUntil.isAfter(now));
        }

        /** When every reason this caller found no request has passed; a moment from now when none shows (the row moved on). */
        Instant retryAt(Caller caller, Instant now) {
            Instant at = now.plusMillis(10);
            if (pausedUntil.isAfter(at)) {
                at = pausedUntil;
            }
            if (windowFull(caller, now) && windowStart.plus(WINDOW).isAfter(at)) {
                at = windowStart.plus(WINDOW);
            }
            if (caller.background() && deliveriesWaitingUntil.isAfter(at)) {
                at = deliveriesWaitingUntil;
            }
            return at;
        }

        String why(Caller caller, Instant now) {
            if (pausedUntil.isAfter(now)) {
                return "FirstPromoter answered 429 Too Many Requests: no instance calls it before " + pausedUntil;
            }
            if (windowFull(caller, now)) {
                return "FirstPromoter's request budget (" + (caller.background() ? backgroundLimit + " a minute for reconciliation and "
                        + "notices, of " : "") + limit + " a minute, every instance together) is spent until " + windowStart.plus(WINDOW);
            }
            return "deliveries are waiting for FirstPromoter's request budget: " + caller.label() + " calls yield until "
                    + deliveriesWaitingUntil;
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new Spent("interrupted while waiting for FirstPromoter's request budget", null, null);
        }
    }
}
