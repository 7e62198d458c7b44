package io.fulfilmentbridge.fulfilment;

import java.lang.reflect.Method;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The bridge's JdbcTemplate: inside {@link Deadline#boundStatements} each statement's query
 * timeout is what is left of the answer deadline, so a write blocked by a lock or a stalled database
 * fails in time for a 503 instead of holding the answer. PostgreSQL takes milliseconds; others whole
 * seconds, rounded up.
 */
public class DeadlineBoundJdbcTemplate extends JdbcTemplate {

    private static final Class<?> PG_STATEMENT;
    private static final Method PG_TIMEOUT_MS;

    static {
        Class<?> type = null;
        Method method = null;
        try {
            type = Class.forName("org.postgresql.jdbc.PgStatement");
            method = type.getMethod("setQueryTimeoutMs", long.class);
        } catch (ReflectiveOperationException noPostgres) {
            type = null;
        }
        PG_STATEMENT = type;
        PG_TIMEOUT_MS = method;
    }

    public DeadlineBoundJdbcTemplate(DataSource dataSource) {
        super(dataSource);
    }

    @Override
    protected void applyStatementSettings(Statement statement) throws SQLException {
        super.applyStatementSettings(statement);
        OptionalLong left = Deadline.statementMillisLeft();
        if (left.isEmpty()) {
            return;
        }
        long millis = left.getAsLong();
        if (millis <= 0) {
            throw new SQLTimeoutException("the answer deadline has passed");
        }
        if (PG_STATEMENT != null && statement.isWrapperFor(PG_STATEMENT)) {
            try {
                PG_TIMEOUT_MS.invoke(statement.unwrap(PG_STATEMENT), millis);
                return;
            } catch (ReflectiveOperationException e) {
                // Falls back to whole seconds below.
            }
        }
        statement.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, (millis + 999) / 1000));
    }
}
