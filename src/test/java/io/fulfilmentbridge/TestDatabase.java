package io.fulfilmentbridge;

/**
 * The PostgreSQL the test pass runs on, for tests that open their own connections: CI's second pass names
 * it in BRIDGE_TEST_DATASOURCE_URL, one database per test JVM (its {@code ${bridge.test.fork}}, as
 * bridge-test.properties resolves it). Null on the embedded pass.
 */
public final class TestDatabase {

    private TestDatabase() {
    }

    public static String postgresUrl() {
        String url = System.getenv("BRIDGE_TEST_DATASOURCE_URL");
        return url == null ? null : url.replace("${bridge.test.fork}", System.getProperty("bridge.test.fork", "1"));
    }
}
