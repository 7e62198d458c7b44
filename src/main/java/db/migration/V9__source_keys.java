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
 * Fulfilments keyed by (source, fulfilment_id): a webhooks-v2 commission id (source v2) can be the same
 * number as a legacy payout id (v1). Every table keyed by a fulfilment gets the source column (ledger
 * entries have it since V8), every row written before being a legacy one, and its keys include it.
 * A Java migration, as V8: the primary keys and the foreign keys to fulfilments of V1 and V4 have no
 * name of ours (PostgreSQL: fulfilments_pkey, ledger_entries_fulfilment_id_fkey...; H2: CONSTRAINT_xx),
 * so they are looked up in INFORMATION_SCHEMA, the same on both. The foreign keys go first: a primary
 * key cannot be dropped while one references it.
 */
public class V9__source_keys extends BaseJavaMigration {

    /** The tables that get the column, in the order the column is added. */
    private static final List<String> NEW_SOURCE_COLUMNS = List.of("fulfilments", "payout_outbox", "stripe_grants", "payout_anomalies");
    /** The tables whose foreign key to fulfilments (unnamed) is replaced. */
    private static final List<String> REFERENCING = List.of("ledger_entries", "payout_anomalies");

    private static final List<String> NEW_KEYS = List.of(
            "ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_key PRIMARY KEY (source, fulfilment_id)",
            "ALTER TABLE payout_outbox ADD CONSTRAINT payout_outbox_key PRIMARY KEY (source, fulfilment_id, attempt)",
            "ALTER TABLE stripe_grants ADD CONSTRAINT stripe_grants_key PRIMARY KEY (source, fulfilment_id)",
            "ALTER TABLE payout_anomalies ADD CONSTRAINT payout_anomalies_key PRIMARY KEY (source, fulfilment_id, attempt)",
            """
            ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_fulfilment
                FOREIGN KEY (source, fulfilment_id) REFERENCES fulfilments (source, fulfilment_id)""",
            """
            ALTER TABLE payout_anomalies ADD CONSTRAINT payout_anomalies_fulfilment
                FOREIGN KEY (source, fulfilment_id) REFERENCES fulfilments (source, fulfilment_id)""");

    @Override
    public void migrate(Context context) throws Exception {
        Connection connection = context.getConnection();
        try (Statement statement = connection.createStatement()) {
            for (String table : NEW_SOURCE_COLUMNS) {
                statement.execute("ALTER TABLE " + table + " ADD COLUMN source VARCHAR(8) DEFAULT 'v1' NOT NULL");
                statement.execute("ALTER TABLE " + table + " ADD CONSTRAINT " + table + "_source CHECK (source IN ('v1', 'v2'))");
            }
            for (String table : REFERENCING) {
                statement.execute(drop(table, onlyConstraint(connection, table, "FOREIGN KEY")));
            }
            for (String table : NEW_SOURCE_COLUMNS) {
                statement.execute(drop(table, onlyConstraint(connection, table, "PRIMARY KEY")));
            }
            for (String sql : NEW_KEYS) {
                statement.execute(sql);
            }
        }
    }

    private static String drop(String table, String constraint) {
        return "ALTER TABLE " + table + " DROP CONSTRAINT \"" + constraint.replace("\"", "\"\"") + "\"";
    }

    /** The name of the table's one constraint of this type (V1's and V4's, unnamed); fails if it has none or several. */
    private static String onlyConstraint(Connection connection, String table, String type) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("""
                SELECT constraint_name FROM information_schema.table_constraints
                WHERE LOWER(table_name) = ? AND LOWER(table_schema) = LOWER(?) AND constraint_type = ?""")) {
            query.setString(1, table);
            query.setString(2, connection.getSchema());
            query.setString(3, type);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        if (names.size() != 1) {
            throw new IllegalStateException("expected one " + type + " on " + table + ", found " + names);
        }
        return names.get(0);
    }
}
