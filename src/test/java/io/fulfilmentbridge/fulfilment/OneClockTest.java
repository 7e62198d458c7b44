package io.fulfilmentbridge.fulfilment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.BridgeTest;
import java.lang.management.ManagementFactory;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import javax.management.MBeanServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;

/**
 * docs/promises.md, "One clock": a bridge whose own clock runs an hour ahead of the database's (here
 * the database's clock reads an hour behind this JVM's) decides leases and stuck-after by the
 * database's time, as every other instance does: another instance's live claim is neither taken over
 * nor listed as stuck, although by this JVM's clock its lease ran out an hour ago.
 */
@Import(OneClockTest.DatabaseAnHourBehind.class)
@TestPropertySource(properties = {"bridge.stuck-after=1s", "bridge.answer-within=3s"})
class OneClockTest extends BridgeTest {

    private static final Duration BEHIND = Duration.ofHours(1);

    @TestConfiguration
    static class DatabaseAnHourBehind {
        @Bean
        @Primary
        DatabaseClock databaseAnHourBehind(JdbcTemplate jdbc) {
            return new DatabaseClock(() -> jdbc.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class).toInstant().minus(BEHIND));
        }
    }

    @Test
    void anotherInstancesLiveClaimIsNeitherTakenOverNorListedStuckByThisInstancesClock() throws Exception {
        long id = nextId();
        Instant databaseNow = Instant.now().minus(BEHIND);
        // Another instance, on the database's clock, claimed it 5 s ago with its 15 s lease.
        Timestamp claimedAt = Timestamp.from(databaseNow.minusSeconds(5));
        jdbc.update("""
                INSERT INTO fulfilments (fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref,
                    received_status, state, lease_holder, lease_until, created_at, updated_at)
                VALUES (?, 'evt-clock', 'credits', 20, '20', 236, ?, 'pending', 'RECEIVED', 'another-instance', ?, ?, ?)""",
                id, "cust-clock-" + id, Timestamp.from(databaseNow.plusSeconds(10)), claimedAt, claimedAt);

        assertAnswer(post(delivery("credits.json", id, Map.of("amount", 20, "promoter.cust_id", "cust-clock-" + id))), 503, "retry");

        assertThat(jdbc.queryForMap("SELECT state, lease_holder FROM fulfilments WHERE source = 'v1' AND fulfilment_id = ?", id))
                .containsEntry("state", "RECEIVED").containsEntry("lease_holder", "another-instance");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE source = 'v1' AND fulfilment_id = ?", Integer.class, id))
                .isZero();
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        assertThat((String[]) jmx.getAttribute(parkedFulfilmentsMBean(), "Parked"))
                .noneMatch(line -> line.startsWith("v1 " + id + " "));
    }

    @Test
    void aLeaseIsWrittenOnTheDatabasesClockAndRunsOutByIt() throws Exception {
        long id = nextId();
        Instant databaseBefore = Instant.now().minus(BEHIND);
        // Stripe down: the delivery answers 503 and lets its claim go (its lease ends now).
        STRIPE.stubError("GET", "/v1/customers/cus_clock_" + id, 500, "Stripe is down");

        assertAnswer(post(delivery("free-months.json", id, Map.of("promoter.cust_id", "cus_clock_" + id))), 503, "retry");

        Timestamp leaseUntil = jdbc.queryForObject("SELECT lease_until FROM fulfilments WHERE source = 'v1' AND fulfilment_id = ?",
                Timestamp.class, id);
        assertThat(leaseUntil.toInstant()).isBetween(databaseBefore, Instant.now().minus(BEHIND));
        // Listed as stuck once bridge.stuck-after (1 s) has passed on the database's clock.
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat((String[]) jmx.getAttribute(parkedFulfilmentsMBean(), "Parked"))
                        .anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " ").contains("stuck")));
    }
}
