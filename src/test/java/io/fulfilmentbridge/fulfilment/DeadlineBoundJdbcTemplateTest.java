package io.fulfilmentbridge.fulfilment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Statements inside Deadline.boundStatements get what is left of the deadline, and no more. (A
 * statement blocked by a lock is cut on PostgreSQL only, where the production suite tries it: H2 waits
 * out its own lock timeout whatever the query timeout.)
 */
class DeadlineBoundJdbcTemplateTest {

    private final DriverManagerDataSource database =
            new DriverManagerDataSource("jdbc:h2:mem:deadline-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "");
    private final DeadlineBoundJdbcTemplate jdbc = new DeadlineBoundJdbcTemplate(database);

    @Test
    void pastTheDeadlineAStatementIsNotSentButCleanUpGetsItsGrace() {
        jdbc.execute("CREATE TABLE claims (id BIGINT PRIMARY KEY)");
        Deadline late = arrivedMillisAgo(9_500);
        assertThatThrownBy(() -> late.boundStatements(0, () -> jdbc.update("INSERT INTO claims VALUES (1)")))
                .isInstanceOf(DataAccessException.class);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM claims", Integer.class)).isZero();

        assertThat(late.boundStatements(Deadline.CLEAN_UP_MILLIS, () -> jdbc.update("INSERT INTO claims VALUES (2)")))
                .isEqualTo(1);
    }

    private static Deadline arrivedMillisAgo(long millis) {
        return Deadline.from(System.nanoTime() - millis * 1_000_000, Duration.ofSeconds(9));
    }
}
