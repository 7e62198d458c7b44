package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Grants to one customer applied one at a time, across bridge instances: a row per locked customer
 * with its holder and a lease, taken over once the lease has run out. One per lock table: Stripe's
 * (keyed by customer) and the other billing systems' (keyed by system and customer). Table and column
 * names come from code, never from input; the values are bound. The lease is on the database's clock,
 * which every instance shares (docs/promises.md, "One clock"): two instances whose own clocks differ
 * still agree when it has run out.
 */
public final class CustomerLocks {

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final Duration lease;
    private final String insert;
    private final String takeOver;
    private final String release;

    public CustomerLocks(JdbcTemplate jdbc, DatabaseClock clock, Duration lease, String table, List<String> keyColumns) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.lease = lease;
        String key = String.join(" = ? AND ", keyColumns) + " = ?";
        this.insert = "INSERT INTO " + table + " (" + String.join(", ", keyColumns) + ", holder, locked_until) VALUES ("
                + "?, ".repeat(keyColumns.size()) + "?, ?)";
        this.takeOver = "UPDATE " + table + " SET holder = ?, locked_until = ? WHERE " + key + " AND locked_until < ?";
        this.release = "DELETE FROM " + table + " WHERE " + key + " AND holder = ?";
    }

    /** Takes the lock, waiting for it within the time left; throws {@link RetryLater} with busyReason otherwise. */
    public void lock(List<Object> key, String holder, long deadlineEpochMillis, String busyReason) throws InterruptedException {
        while (true) {
            Instant now = clock.now();
            Timestamp until = Timestamp.from(now.plus(lease));
            try {
                jdbc.update(insert, values(key, holder, until));
                return;
            } catch (DuplicateKeyException held) {
                List<Object> args = new ArrayList<>(List.of(holder, until));
                args.addAll(key);
                args.add(Timestamp.from(now));
                if (jdbc.update(takeOver, args.toArray()) == 1) {
                    return;
                }
            }
            // The delivery's own deadline, on this instance's clock: no other instance compares it.
            if (System.currentTimeMillis() > deadlineEpochMillis - 300) {
                throw new RetryLater(busyReason);
            }
            Thread.sleep(25);
        }
    }

    public void unlock(List<Object> key, String holder) {
        List<Object> args = new ArrayList<>(key);
        args.add(holder);
        jdbc.update(release, args.toArray());
    }

    private static Object[] values(List<Object> key, Object... more) {
        List<Object> args = new ArrayList<>(key);
        args.addAll(List.of(more));
        return args.toArray();
    }
}
