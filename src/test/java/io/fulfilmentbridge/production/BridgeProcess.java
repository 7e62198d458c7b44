package io.fulfilmentbridge.production;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One bridge as production runs it: {@code java -jar} on the packaged jar, in its own working
 * directory, configured only through the environment a deployment would set; stdout and stderr go to
 * a log file that is kept (and appended to across restarts) for the log scan.
 */
final class BridgeProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration READY_WITHIN = Duration.ofSeconds(240);

    private final String name;
    private final Map<String, String> environment;
    private final int port;
    private final int managementPort;
    private final Path workDir;
    private final Path logFile;
    private Process process;
    private int starts;

    BridgeProcess(String name, Map<String, String> environment) {
        this.name = name;
        this.environment = environment;
        this.port = freePort();
        this.managementPort = freePort();
        try {
            this.workDir = Files.createTempDirectory("bridge-" + name + "-");
            Files.createDirectories(ProductionEnv.logDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.logFile = ProductionEnv.logDir().resolve(name + ".log");
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    Path logFile() {
        return logFile;
    }

    /** A path on the management port (health, metrics, the operators' console). */
    URI management(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    URI webhook(String query) {
        return URI.create("http://127.0.0.1:" + port + "/webhooks/firstpromoter/fulfilment" + (query == null ? "" : "?" + query));
    }

    /** The webhooks v2 endpoint, which a legacy bridge answers 202 ignored after the webhook's checks. */
    URI events(String query) {
        return URI.create("http://127.0.0.1:" + port + "/webhooks/firstpromoter/events" + (query == null ? "" : "?" + query));
    }

    /** Starts the JVM and waits until its health endpoint answers UP. */
    synchronized BridgeProcess start() {
        launch();
        awaitReady();
        return this;
    }

    /** Starts the JVM without waiting; {@link #awaitReady()} waits. */
    synchronized void launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-jar", ProductionEnv.jar().toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        Map<String, String> env = builder.environment();
        // Nothing of the test JVM's environment leaks in: only what a deployment sets.
        env.clear();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", workDir.toString());
        env.putAll(environment);
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("MANAGEMENT_SERVER_PORT", Integer.toString(managementPort));
        try {
            Files.writeString(logFile, "=== " + name + " start " + (++starts) + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void awaitReady() {
        long end = System.nanoTime() + READY_WITHIN.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + logFile);
            }
            if (healthy()) {
                return;
            }
            sleep(200);
        }
        throw new IllegalStateException(name + " not ready within " + READY_WITHIN + "; see " + logFile);
    }

    boolean healthy() {
        try {
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200 && health.body().startsWith("{\"status\":\"UP\"");
        } catch (IOException notYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What /actuator/health answers: its status code, one component's status, and how long it took. */
    record Health(int statusCode, String component, long millis) {
    }

    Health health(String component) throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        String status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(health.body())
                .path("components").path(component).path("status").asText();
        return new Health(health.statusCode(), status, (System.nanoTime() - started) / 1_000_000);
    }

    /** Polls health until the component reports the status, within the time given; returns the last answer. */
    Health awaitHealth(String component, String status, Duration within) throws Exception {
        long until = System.nanoTime() + within.toNanos();
        Health last = health(component);
        while (!last.component().equals(status) && System.nanoTime() < until) {
            sleep(250);
            last = health(component);
        }
        return last;
    }

    /** kill -9: no shutdown hook, no graceful anything. */
    synchronized void kill9() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(30);
        }
    }

    /** SIGTERM, as a deployment stops it; forcibly after 30 s. */
    synchronized void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitFor(30)) {
                process.destroyForcibly();
                waitFor(30);
            }
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    private boolean waitFor(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
