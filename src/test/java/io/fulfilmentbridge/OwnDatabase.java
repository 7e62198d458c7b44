package io.fulfilmentbridge;

import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * A database of a test's own on the test pass's database: on CI's PostgreSQL pass (BRIDGE_TEST_DATASOURCE_URL)
 * a schema of its own in the test JVM's database, whose other classes keep bridges running there; else H2 in
 * memory, in PostgreSQL mode as the bridge runs it. {@link #drop()} removes it.
 */
public final class OwnDatabase {

    private static final String POSTGRES_URL = TestDatabase.postgresUrl();

    private final String schema;
    private final DriverManagerDataSource dataSource;
    private final JdbcTemplate jdbc;

    /** name: a prefix for the schema or the in-memory database, saying whose it is. */
    public OwnDatabase(String name) {
        String unique = name + "_" + UUID.randomUUID().toString().replace("-", "");
        schema = POSTGRES_URL == null ? null : unique;
        dataSource = POSTGRES_URL == null
                ? new DriverManagerDataSource("jdbc:h2:mem:" + unique
                        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1")
                : new DriverManagerDataSource(POSTGRES_URL + (POSTGRES_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema,
                        System.getenv().getOrDefault("BRIDGE_TEST_DATASOURCE_USERNAME", "bridge"),
                        System.getenv().getOrDefault("BRIDGE_TEST_DATASOURCE_PASSWORD", ""));
        jdbc = new JdbcTemplate(dataSource);
    }

    public DriverManagerDataSource dataSource() {
        return dataSource;
    }

    public JdbcTemplate jdbc() {
        return jdbc;
    }

    /** The bridge's migrations, into this database (its schema on PostgreSQL). */
    public FluentConfiguration flyway() {
        FluentConfiguration flyway = Flyway.configure().dataSource(dataSource).locations("classpath:db/migration");
        return schema == null ? flyway : flyway.schemas(schema);
    }

    public void drop() {
        jdbc.execute(schema == null ? "SHUTDOWN" : "DROP SCHEMA " + schema + " CASCADE");
    }
}
