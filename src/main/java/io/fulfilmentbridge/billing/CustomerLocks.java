package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Grants to one customer of a billing system applied one at a time, across bridge instances: a row
 * per locked customer (billing_customer_locks, keyed by system and customer) with its holder and a
 * lease, taken over once the lease has run out. The lease is on the database's clock, which every
 * instance shares (docs/promises.md, "One clock"): two instances whose own clocks differ still agree
 * when it has run out.
 */
final class CustomerLocks {

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final Duration lease;

    CustomerLocks(JdbcTemplate jdbc, DatabaseClock clock, Duration lease) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.lease = lease;
    }

    /** Takes the lock, waiting for it within the time left; throws {@link RetryLater} with busyReason otherwise. */
    void lock(String system, String customerId, String holder, long deadlineEpochMillis, String busyReason)
            throws InterruptedException {
        while (true) {
            Instant now = clock.now();
            Timestamp until = Timestamp.from(now.plus(lease));
            try {
                jdbc.update("INSERT INTO billing_customer_locks (billing_system, customer_id, holder, locked_until) "
                        + "VALUES (?, ?, ?, ?)", system, customerId, holder, until);
                return;
            } catch (DuplicateKeyException held) {
                if (jdbc.update("UPDATE billing_customer_locks SET holder = ?, locked_until = ? WHERE billing_system = ? "
                        + "AND customer_id = ? AND locked_until < ?", holder, until, system, customerId,
                        Timestamp.from(now)) == 1) {
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

    void unlock(String system, String customerId, String holder) {
        jdbc.update("DELETE FROM billing_customer_locks WHERE billing_system = ? AND customer_id = ? AND holder = ?",
                system, customerId, holder);
    }
}
