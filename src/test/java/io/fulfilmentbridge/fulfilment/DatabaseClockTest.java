package io.fulfilmentbridge.fulfilment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/** Times compared across instances follow the database's clock, not the JVM's (docs/promises.md, "One clock"). */
class DatabaseClockTest {

    @Test
    void followsTheDatabasesClockNotThisJvms() {
        Duration ahead = Duration.ofMinutes(7);
        AtomicInteger reads = new AtomicInteger();
        DatabaseClock clock = new DatabaseClock(() -> {
            reads.incrementAndGet();
            return Instant.now().plus(ahead);
        });
        Instant seen = clock.now();
        assertThat(Duration.between(Instant.now().plus(ahead), seen).abs()).isLessThan(Duration.ofSeconds(1));
        Instant later = clock.now();
        assertThat(later).isAfterOrEqualTo(seen);
        assertThat(reads).as("read once, then counted on by the monotonic clock").hasValue(1);
    }

    @Test
    void aFailedReadKeepsTheLastReading() {
        AtomicInteger reads = new AtomicInteger();
        Instant base = Instant.parse("2030-01-01T00:00:00Z");
        DatabaseClock clock = new DatabaseClock(() -> {
            if (reads.incrementAndGet() > 1) {
                throw new DataAccessResourceFailureException("down");
            }
            return base;
        });
        assertThat(clock.now()).isBetween(base, base.plusSeconds(1));
        assertThat(clock.now()).isBetween(base, base.plusSeconds(1));
    }

    @Test
    void readsTheDatabasesCurrentTimestamp() {
        JdbcTemplate h2 = new JdbcTemplate(new DriverManagerDataSource("jdbc:h2:mem:clock-" + System.nanoTime(), "sa", ""));
        Instant database = h2.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class).toInstant();
        assertThat(Duration.between(database, new DatabaseClock(h2).now()).abs()).isLessThan(Duration.ofSeconds(2));
    }

    /**
     * Read inside a transaction that began a while ago (one that waited on a row lock), the clock is still
     * now: PostgreSQL's CURRENT_TIMESTAMP is the transaction's start. Runs on the PostgreSQL of the CI's
     * second pass when BRIDGE_TEST_DATASOURCE_URL names it, else on H2.
     */
    @Test
    void readInsideAnOldTransactionIsStillNow() throws Exception {
        String postgres = TestDatabase.postgresUrl();
        String url = postgres != null ? postgres : "jdbc:h2:mem:clock-tx-" + System.nanoTime();
        SingleConnectionDataSource single = new SingleConnectionDataSource(url,
                System.getenv().getOrDefault("BRIDGE_TEST_DATASOURCE_USERNAME", "sa"),
                System.getenv().getOrDefault("BRIDGE_TEST_DATASOURCE_PASSWORD", ""), false);
        try {
            single.getConnection().setAutoCommit(false);
            JdbcTemplate inTransaction = new JdbcTemplate(single);
            inTransaction.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class);
            Thread.sleep(1500);
            Instant seen = new DatabaseClock(inTransaction).now();
            assertThat(Duration.between(seen, Instant.now()).abs()).as("behind by the transaction's age").isLessThan(Duration.ofMillis(700));
            single.getConnection().rollback();
        } finally {
            single.destroy();
        }
    }
}
