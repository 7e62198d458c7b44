package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;

/**
 * The probes a scheduler reads (docs/operations.md, Probes and shutdown): readiness holds the database
 * and the routes started, nothing else; liveness holds none of them.
 */
class ProbesTest extends BridgeTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalManagementPort
    private int managementPort;

    @Autowired
    private DataSource dataSource;

    @Autowired
    private CamelContext camel;

    record Probe(int status, JsonNode body) {
        String state() {
            return body.path("status").asText();
        }

        List<String> components() {
            List<String> names = new ArrayList<>();
            body.path("components").fieldNames().forEachRemaining(names::add);
            return names;
        }
    }

    @Test
    void aRunningBridgeIsLiveAndReadyAndReadinessHoldsOnlyTheDatabaseAndTheRoutes() throws Exception {
        Probe readiness = probe("readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.state()).isEqualTo("UP");
        assertThat(readiness.components()).containsExactlyInAnyOrder("db", "readinessState", "routes");
        assertThat(readiness.body().path("components").path("routes").path("details").path("routes").asInt())
                .isEqualTo(camel.getRoutes().size());

        Probe liveness = probe("liveness");
        assertThat(liveness.status()).isEqualTo(200);
        assertThat(liveness.components()).containsExactly("livenessState");

        // The broker and the billing system are on the full health, not on readiness.
        Probe health = probe("");
        assertThat(health.components()).contains("db", "routes", "jms", "stripe");
    }

    @Test
    void withTheDatabaseDownTheBridgeIsNotReadyButStillLive() throws Exception {
        HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
        String user = pool.getUsername();
        pool.getHikariConfigMXBean().setUsername("no_such_user_during_outage");
        pool.getHikariPoolMXBean().softEvictConnections();
        try {
            Probe readiness = probe("readiness");
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.state()).isEqualTo("DOWN");
            assertThat(readiness.body().path("components").path("db").path("status").asText()).isEqualTo("DOWN");
            assertThat(readiness.body().toString()).doesNotContain("no_such_user_during_outage");

            Probe liveness = probe("liveness");
            assertThat(liveness.status()).isEqualTo(200);
            assertThat(liveness.state()).isEqualTo("UP");
        } finally {
            pool.getHikariConfigMXBean().setUsername(user);
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(probe("readiness").status()).isEqualTo(200));
    }

    @Test
    void aStoppedRouteTakesTheBridgeOutOfServiceNamingTheRoute() throws Exception {
        camel.getRouteController().stopRoute("commission-events-forget");
        try {
            Probe readiness = probe("readiness");
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.body().path("components").path("routes").path("details").path("notStarted").toString())
                    .isEqualTo("[\"commission-events-forget\"]");
            assertThat(probe("liveness").status()).isEqualTo(200);
        } finally {
            camel.getRouteController().startRoute("commission-events-forget");
        }
        assertThat(probe("readiness").status()).isEqualTo(200);
    }

    private Probe probe(String group) throws Exception {
        String path = group.isEmpty() ? "/actuator/health" : "/actuator/health/" + group;
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Probe(response.statusCode(), JSON.readTree(response.body()));
    }
}
