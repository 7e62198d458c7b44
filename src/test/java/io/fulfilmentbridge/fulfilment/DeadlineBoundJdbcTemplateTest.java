package io.fulfilmentbridge.fulfilment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Statements inside AnswerDeadline.boundStatements get what is left of the deadline, and no more. (A
 * statement blocked by a lock is cut on PostgreSQL only, where the production suite tries it: H2 waits
 * out its own lock timeout whatever the query timeout.)
 */
class DeadlineBoundJdbcTemplateTest {

    private final DriverManagerDataSource database =
            new DriverManagerDataSource("jdbc:h2:mem:deadline-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "");
    private final DeadlineBoundJdbcTemplate jdbc = new DeadlineBoundJdbcTemplate(database);
    private final AnswerDeadline deadline = new AnswerDeadline(Duration.ofSeconds(9));

    @Test
    void pastTheDeadlineAStatementIsNotSentButCleanUpGetsItsGrace() {
        jdbc.execute("CREATE TABLE claims (id BIGINT PRIMARY KEY)");
        Exchange late = arrivedMillisAgo(9_500);
        assertThatThrownBy(() -> deadline.boundStatements(late, 0, () -> jdbc.update("INSERT INTO claims VALUES (1)")))
                .isInstanceOf(DataAccessException.class);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM claims", Integer.class)).isZero();

        assertThat(deadline.boundStatements(late, AnswerDeadline.CLEAN_UP_MILLIS, () -> jdbc.update("INSERT INTO claims VALUES (2)")))
                .isEqualTo(1);
    }

    private static Exchange arrivedMillisAgo(long millis) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(AnswerDeadline.ARRIVED_AT, System.nanoTime() - millis * 1_000_000);
        return exchange;
    }
}
