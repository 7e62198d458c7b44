package io.fulfilmentbridge.firstpromoter;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.jdbc.core.JdbcTemplate;

/** The bridge's own first reconciliation run, which a test waits out before it sets up its lists. */
final class FirstReconciliationRun {

    private static final Set<Class<?>> FORGOTTEN = ConcurrentHashMap.newKeySet();

    private FirstReconciliationRun() {
    }

    /**
     * Waits until this bridge's first run of the source ended (it starts a second after start-up). On
     * PostgreSQL a test JVM's classes share one database: the run row an earlier class's bridge left is
     * forgotten first, once per class, so it is not taken for this one's.
     */
    static void awaitDone(JdbcTemplate jdbc, String source, Class<?> testClass) {
        if (FORGOTTEN.add(testClass)) {
            jdbc.update("DELETE FROM reconciliation_runs WHERE source = ?", source);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM reconciliation_runs WHERE source = ? AND runs > 0 AND lease_until IS NULL", Integer.class,
                source) == 1);
    }
}
