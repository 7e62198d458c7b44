package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Reversals (docs/promises.md, Reversals). A Java migration, not SQL, for one reason: the state CHECK of V1 has
 * no name of ours (PostgreSQL calls it fulfilments_state_check, H2 generates one), so it is looked up
 * in INFORMATION_SCHEMA, the same on both, and replaced by a named one that allows REVERSED.
 */
public class V8__reversals extends BaseJavaMigration {

    private static final List<String> STATEMENTS = List.of(
            """
            ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_state_known
                CHECK (state IN ('RECEIVED', 'GRANTED', 'QUEUED', 'PAID', 'FAILED', 'PARKED', 'REVERSED'))""",
            // The operator's reason for a reversal, kept apart from reason: reason is why a REVERSED
            // fulfilment is listed for operators (null once nothing needs a review).
            "ALTER TABLE fulfilments ADD COLUMN reversal_note VARCHAR(1000)",
            "ALTER TABLE fulfilments ADD COLUMN reversed_at TIMESTAMP WITH TIME ZONE",
            // A grant's two entries, and the reversal's two opposite ones: the key refuses a second reversal.
            "ALTER TABLE ledger_entries ADD COLUMN entry_kind VARCHAR(8) DEFAULT 'GRANT' NOT NULL",
            "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_entry_kind CHECK (entry_kind IN ('GRANT', 'REVERSAL'))",
            // Where the fulfilment id comes from: v1 a legacy delivery's payout id, v2 a commission id
            // (docs/promises.md, Webhooks v2 events); every row written before is a legacy one.
            "ALTER TABLE ledger_entries ADD COLUMN source VARCHAR(8) DEFAULT 'v1' NOT NULL",
            "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_source CHECK (source IN ('v1', 'v2'))",
            "ALTER TABLE ledger_entries DROP CONSTRAINT one_entry_per_side",
            "ALTER TABLE ledger_entries ADD CONSTRAINT one_entry_per_side_and_kind UNIQUE (source, fulfilment_id, account_kind, entry_kind)");

    @Override
    public void migrate(Context context) throws Exception {
        Connection connection = context.getConnection();
        List<String> oldChecks = stateChecks(connection);
        if (oldChecks.size() != 1) {
            throw new IllegalStateException("expected one CHECK on fulfilments.state listing PARKED, found " + oldChecks);
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE fulfilments DROP CONSTRAINT \"" + oldChecks.get(0).replace("\"", "\"\"") + "\"");
            for (String sql : STATEMENTS) {
                statement.execute(sql);
            }
        }
    }

    /** The names of the CHECK constraints of table fulfilments that list the states (V1's, unnamed). */
    private static List<String> stateChecks(Connection connection) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("""
                SELECT tc.constraint_name FROM information_schema.table_constraints tc
                JOIN information_schema.check_constraints cc
                    ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name
                WHERE LOWER(tc.table_name) = 'fulfilments' AND LOWER(tc.table_schema) = LOWER(?)
                    AND tc.constraint_type = 'CHECK' AND cc.check_clause LIKE '%PARKED%'""")) {
            query.setString(1, connection.getSchema());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return names;
    }
}
