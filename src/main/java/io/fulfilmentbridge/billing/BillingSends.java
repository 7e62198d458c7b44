package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

/**
 * Every request that writes a grant to a billing system (billing_sends), and the fence it sets: a
 * send whose answer was lost may still land, so while the latest such send to a customer is less than
 * bridge.billing.may-land-for old, nothing more is sent to that customer (docs/promises.md, "The
 * fence"). Times are the database's, the one clock every instance shares.
 */
@Component
public class BillingSends {

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final Duration mayLandFor;

    public BillingSends(JdbcTemplate jdbc, DatabaseClock clock, BillingSettings settings) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.mayLandFor = settings.mayLandFor();
    }

    /**
     * Sends one request of this grant: recorded as sent, unanswered, before it leaves, and as answered
     * once an answer came back (a refusal included). A timeout, a broken connection, a 5xx or a crash
     * leaves it unanswered: it may still land, and it fences the customer.
     */
    public void send(String system, String customerId, FulfilmentKey key, Runnable request) {
        long sendId = recordSent(system, customerId, key);
        try {
            request.run();
        } catch (RetryLater lost) {
            throw lost;
        } catch (RuntimeException refused) {
            answered(sendId);
            throw refused;
        }
        answered(sendId);
    }

    /** Throws {@link RetryLater} (503) while a send to the customer whose answer was lost may still land. */
    public void requireNotFenced(String system, String customerId) {
        Optional<Instant> fencedUntil = fencedUntil(system, customerId);
        if (fencedUntil.isPresent()) {
            throw new RetryLater("a request to " + system + " for customer " + customerId + " got no answer and may still "
                    + "land there: nothing more is sent to the customer until " + fencedUntil.get().truncatedTo(ChronoUnit.SECONDS)
                    + " (bridge.billing.may-land-for), when that request is settled by reading " + system + " first; "
                    + "retry after it");
        }
    }

    /** The end of the customer's fence, on the database's clock, while it lasts. */
    Optional<Instant> fencedUntil(String system, String customerId) {
        Timestamp latest = jdbc.queryForObject("SELECT MAX(sent_at) FROM billing_sends WHERE billing_system = ? "
                + "AND customer_id = ? AND answered = FALSE", Timestamp.class, system, customerId);
        if (latest == null) {
            return Optional.empty();
        }
        Instant until = latest.toInstant().plus(mayLandFor);
        return clock.now().isBefore(until) ? Optional.of(until) : Optional.empty();
    }

    /**
     * Until when this fulfilment's latest send whose answer was lost may still land, on the database's
     * clock; empty when every send recorded for it was answered, or none was.
     */
    Optional<Instant> mayLandUntil(FulfilmentKey key) {
        Timestamp latest = jdbc.queryForObject("SELECT MAX(sent_at) FROM billing_sends WHERE source = ? "
                + "AND fulfilment_id = ? AND answered = FALSE", Timestamp.class, key.source().ledgerSource(), key.id());
        return latest == null ? Optional.empty() : Optional.of(latest.toInstant().plus(mayLandFor));
    }

    private long recordSent(String system, String customerId, FulfilmentKey key) {
        GeneratedKeyHolder id = new GeneratedKeyHolder();
        Timestamp now = Timestamp.from(clock.now());
        jdbc.update(connection -> {
            var insert = connection.prepareStatement("INSERT INTO billing_sends (billing_system, customer_id, source, "
                    + "fulfilment_id, sent_at, answered) VALUES (?, ?, ?, ?, ?, FALSE)", new String[] {"send_id"});
            insert.setString(1, system);
            insert.setString(2, customerId);
            insert.setString(3, key.source().ledgerSource());
            insert.setLong(4, key.id());
            insert.setTimestamp(5, now);
            return insert;
        }, id);
        return id.getKey().longValue();
    }

    private void answered(long sendId) {
        jdbc.update("UPDATE billing_sends SET answered = TRUE WHERE send_id = ?", sendId);
    }
}
