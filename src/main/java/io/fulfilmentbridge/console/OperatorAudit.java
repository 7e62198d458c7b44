package io.fulfilmentbridge.console;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import java.sql.Timestamp;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;

/**
 * The operators' audit trail (docs/operations.md, Audit trail): every console operation with the login
 * that called it, when (on the database's clock), its arguments and its outcome, in table
 * operator_audit. Entries are only ever inserted: nothing in the bridge, and no console operation,
 * changes or deletes one.
 */
@Component
public class OperatorAudit {

    /** Over JMX without the console (JConsole on the host): no login reaches the bridge. */
    static final String NO_CONSOLE_LOGIN = "(jmx, no console login)";
    private static final Logger LOG = LoggerFactory.getLogger(OperatorAudit.class);
    private static final int MAX_TEXT = 2000;

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;

    public OperatorAudit(JdbcTemplate jdbc, DatabaseClock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Runs the operation and records it with its outcome, or its failure, which is then thrown on. */
    String record(String operation, String arguments, Supplier<String> call) {
        String outcome;
        try {
            String answer = call.get();
            outcome = answer == null ? "" : answer;
            write(operation, arguments, outcome);
            return answer;
        } catch (RuntimeException | Error failed) {
            write(operation, arguments, "failed: " + failed.getClass().getSimpleName() + ": " + failed.getMessage());
            throw failed;
        }
    }

    /** The newest entries first: when, login, operation(arguments): outcome. */
    List<String> trail(int limit) {
        return jdbc.query("""
                SELECT called_at, login, operation, arguments, outcome FROM operator_audit
                ORDER BY called_at DESC, entry_id DESC FETCH FIRST ? ROWS ONLY""",
                (rs, row) -> rs.getTimestamp("called_at").toInstant() + " " + rs.getString("login") + " "
                        + rs.getString("operation") + "(" + rs.getString("arguments") + "): " + rs.getString("outcome"),
                limit);
    }

    private void write(String operation, String arguments, String outcome) {
        String login = login();
        try {
            jdbc.update("INSERT INTO operator_audit (called_at, login, operation, arguments, outcome) VALUES (?, ?, ?, ?, ?)",
                    Timestamp.from(clock.now()), cut(login, 200), operation, cut(arguments, MAX_TEXT), cut(outcome, MAX_TEXT));
        } catch (RuntimeException databaseDown) {
            // The operation ran: its record is kept in the log rather than lost.
            LOG.warn("audit entry not stored ({}): {} {}({}): {}", databaseDown.getClass().getSimpleName(), login, operation,
                    arguments, outcome);
        }
    }

    private static String login() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        return authentication == null || !authentication.isAuthenticated() || authentication instanceof AnonymousAuthenticationToken
                ? NO_CONSOLE_LOGIN : authentication.getName();
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
