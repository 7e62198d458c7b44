package io.fulfilmentbridge.fulfilment;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The database's clock, the one clock every bridge instance shares: every time that another
 * instance compares (leases, fences, due times, stuck-after) is taken from here, never from the JVM's
 * wall clock, so instances whose clocks differ still agree (docs/promises.md, "One clock").
 *
 * <p>The database is read at most every {@link #RESYNC}; in between the time advances by this JVM's
 * monotonic clock, which a wall-clock step cannot move. A read that fails keeps the last reading; the
 * first one is made on first use (never at start-up), and a bridge that cannot read it yet falls back to
 * its own clock until it can, as a delivery then cannot reach the database either.
 */
@Component
public class DatabaseClock {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseClock.class);
    static final Duration RESYNC = Duration.ofSeconds(30);

    private final Supplier<Instant> databaseNow;
    private volatile Reading reading;

    @Autowired
    public DatabaseClock(JdbcTemplate jdbc) {
        this(new DatabaseNow(jdbc));
    }

    /**
     * The database's time as it is now, also inside a transaction that began a while ago (one that waited on
     * a row lock): PostgreSQL's clock_timestamp(), as its CURRENT_TIMESTAMP is the transaction's start. An
     * embedded H2 runs in this JVM, so its clock is this JVM's (its CURRENT_TIMESTAMP is the transaction's
     * start too); any other database's CURRENT_TIMESTAMP.
     */
    private static final class DatabaseNow implements Supplier<Instant> {

        private final JdbcTemplate jdbc;
        private volatile String query;

        DatabaseNow(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Override
        public Instant get() {
            String sql = query;
            if (sql == null) {
                sql = jdbc.execute((ConnectionCallback<String>) connection -> {
                    String product = connection.getMetaData().getDatabaseProductName();
                    String url = String.valueOf(connection.getMetaData().getURL());
                    if ("PostgreSQL".equals(product)) {
                        return "SELECT clock_timestamp()";
                    }
                    boolean embeddedH2 = "H2".equals(product) && !url.startsWith("jdbc:h2:tcp:") && !url.startsWith("jdbc:h2:ssl:");
                    return embeddedH2 ? "" : "SELECT CURRENT_TIMESTAMP";
                });
                query = sql;
            }
            return sql.isEmpty() ? Instant.now() : jdbc.queryForObject(sql, OffsetDateTime.class).toInstant();
        }
    }

    DatabaseClock(Supplier<Instant> databaseNow) {
        this.databaseNow = databaseNow;
    }

    /** Now, on the database's clock. */
    public Instant now() {
        Reading last = reading;
        long nanos = System.nanoTime();
        if (last == null || nanos - last.resyncAt() > 0) {
            last = resync(last);
            nanos = System.nanoTime();
        }
        return last.at().plusNanos(nanos - last.nanos());
    }

    private synchronized Reading resync(Reading seen) {
        Reading current = reading;
        if (current != seen && current != null) {
            return current;
        }
        long before = System.nanoTime();
        try {
            Instant at = databaseNow.get();
            long after = System.nanoTime();
            // The database read its clock about halfway through the round trip.
            long readAt = before + (after - before) / 2;
            reading = new Reading(at, readAt, readAt + RESYNC.toNanos());
            Duration skew = Duration.between(Instant.now(), at.plusNanos((after - before) / 2));
            if (skew.abs().compareTo(Duration.ofSeconds(5)) > 0) {
                LOG.warn("this instance's clock differs from the database's by {} s: leases, fences and due times follow "
                        + "the database's", skew.toSeconds());
            }
        } catch (DataAccessException | NullPointerException unreadable) {
            if (current == null) {
                LOG.warn("the database's clock could not be read ({}): this instance's own clock is used until it can",
                        unreadable.getClass().getSimpleName());
                long now = System.nanoTime();
                return new Reading(Instant.now(), now, now);
            }
            // Read again at the next call, counting on from the last reading until then.
            reading = new Reading(current.at(), current.nanos(), before + Duration.ofSeconds(1).toNanos());
        }
        return reading;
    }

    /** The database's time at a System.nanoTime() reading, and when to read it again. */
    private record Reading(Instant at, long nanos, long resyncAt) {
    }
}
