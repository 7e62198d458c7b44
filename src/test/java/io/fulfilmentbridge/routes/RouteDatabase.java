package io.fulfilmentbridge.routes;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * An in-memory H2 database with the bridge's migrations, for the route tests whose SQL matters; rows
 * are written as the bridge's own writers leave them, so a test starts from the state it names.
 */
final class RouteDatabase {

    final DriverManagerDataSource dataSource = new DriverManagerDataSource("jdbc:h2:mem:route-" + UUID.randomUUID()
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
    final JdbcTemplate jdbc = new JdbcTemplate(dataSource);
    final TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));

    /** classpath: the SQL migrations and the Java ones (V8, V9) in package db.migration. */
    RouteDatabase migrate() {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        return this;
    }

    /** A fulfilment's row in the given state, of promoter 7 and customer cus_{id}. */
    void fulfilment(FulfilmentKey key, String unit, String amount, String state) {
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, unit, amount, promoter_id, customer_ref, state, attempt, created_at, updated_at)
                VALUES (?, ?, ?, ?, 7, ?, ?, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""",
                key.source().ledgerSource(), key.id(), unit, new BigDecimal(amount), "cus_" + key.id(), state);
    }

    /** The two entries of a credit or point grant: the customer's account credited, the unit's funding account debited. */
    void ledgerGrant(FulfilmentKey key, String unit, String amount) {
        String insert = "INSERT INTO ledger_entries (source, fulfilment_id, account_kind, account, unit, amount, entry_kind) "
                + "VALUES (?, ?, ?, ?, ?, ?, 'GRANT')";
        jdbc.update(insert, key.source().ledgerSource(), key.id(), "PROMOTER", "cus_" + key.id(), unit, new BigDecimal(amount));
        jdbc.update(insert, key.source().ledgerSource(), key.id(), "FUNDING", "funding:" + unit, unit, new BigDecimal(amount).negate());
    }

    /** A payout's outbox row, as cash-payout writes it with the QUEUED state. */
    void outboxRow(FulfilmentKey key, int attempt, String message, String createdAt) {
        jdbc.update("INSERT INTO payout_outbox (source, fulfilment_id, attempt, message, created_at) VALUES (?, ?, ?, ?, ?)",
                key.source().ledgerSource(), key.id(), attempt, message, Timestamp.valueOf(createdAt));
    }

    int outboxRows() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox", Integer.class);
    }
}
