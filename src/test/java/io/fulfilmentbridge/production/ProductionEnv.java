package io.fulfilmentbridge.production;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What .ci/run (or a person) hands the production suite through the environment: the PostgreSQL and
 * Artemis broker the bridges share, and the shell commands that stop and start them for the fault
 * scenarios.
 */
final class ProductionEnv {

    private ProductionEnv() {
    }

    static String jdbcUrl() {
        return required("BRIDGE_IT_JDBC_URL");
    }

    static String jdbcUser() {
        return required("BRIDGE_IT_JDBC_USERNAME");
    }

    static String jdbcPassword() {
        return System.getenv().getOrDefault("BRIDGE_IT_JDBC_PASSWORD", "");
    }

    static String brokerUrl() {
        return required("BRIDGE_IT_BROKER_URL");
    }

    static String brokerUser() {
        return required("BRIDGE_IT_BROKER_USER");
    }

    static String brokerPassword() {
        return required("BRIDGE_IT_BROKER_PASSWORD");
    }

    /** The packaged bridge, built by {@code package} before failsafe runs. */
    static Path jar() {
        return Path.of(System.getenv().getOrDefault("BRIDGE_IT_JAR", "target/fulfilment-bridge-0.1.0-SNAPSHOT.jar")).toAbsolutePath();
    }

    /** Where every bridge JVM's stdout and stderr is kept, for the log scan at the end. */
    static Path logDir() {
        return Path.of(System.getenv().getOrDefault("BRIDGE_IT_LOG_DIR", "target/production-logs")).toAbsolutePath();
    }

    static void stopDatabase() {
        run("BRIDGE_IT_DB_STOP");
    }

    static void startDatabase() {
        run("BRIDGE_IT_DB_START");
    }

    static void stopBroker() {
        run("BRIDGE_IT_BROKER_STOP");
    }

    static void startBroker() {
        run("BRIDGE_IT_BROKER_START");
    }

    static boolean canControl(String... variables) {
        for (String variable : variables) {
            String value = System.getenv(variable);
            if (value == null || value.isBlank()) {
                return false;
            }
        }
        return true;
    }

    private static void run(String variable) {
        String command = required(variable);
        try {
            Process process = new ProcessBuilder(List.of("bash", "-c", command)).inheritIO().start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(variable + " did not finish within 120 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(variable + " exited with " + process.exitValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException(variable + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String required(String variable) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(variable + " is not set: run the production suite through .ci/run");
        }
        return value;
    }
}
