package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.Source;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.management.MBeanServer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.TestPropertySource;

/** The operators' console on the management port: behind the operator's login; the webhook untouched by it. */
@TestPropertySource(properties = {"bridge.operator.username=operator", "bridge.operator.password=" + ConsoleTest.PASSWORD})
class ConsoleTest extends BridgeTest {

    static final String PASSWORD = "operator-password-for-tests";

    @LocalManagementPort
    private int managementPort;

    @Autowired
    private FulfilmentClaims claims;
    @Autowired
    private FulfilmentLifecycle lifecycle;

    private URI management(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Jolokia's GET read of the bridge's Parked attribute (this context's unique name). */
    private URI readParked() throws Exception {
        String mbean = parkedFulfilmentsMBean().getCanonicalName();
        return management("/actuator/jolokia/read/" + URLEncoder.encode(mbean, StandardCharsets.UTF_8).replace("+", "%20") + "/Parked");
    }

    @Test
    void theConsoleAndJolokiaRefuseWithoutTheOperatorsLogin() throws Exception {
        for (URI uri : new URI[] {management("/actuator/hawtio/"), management("/actuator/jolokia"), readParked()}) {
            HttpResponse<String> answer = send(HttpRequest.newBuilder(uri).GET());
            assertThat(answer.statusCode()).as(uri.toString()).isIn(302, 401, 403);
            assertThat(answer.body()).doesNotContain("\"value\"");
        }
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(readParked()).header("Authorization", basic("operator", "wrong")).GET());
        assertThat(wrong.statusCode()).isEqualTo(401);
        String replay = "{\"type\":\"exec\",\"mbean\":\"" + parkedFulfilmentsMBean().getCanonicalName().replace("\"", "\\\"")
                + "\",\"operation\":\"replayAllWithReason\",\"arguments\":[\"x\"]}";
        HttpResponse<String> exec = send(HttpRequest.newBuilder(management("/actuator/jolokia"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(replay)));
        assertThat(exec.statusCode()).isIn(401, 403);
    }

    @Test
    void withTheOperatorsLoginJolokiaReadsTheParkedFulfilments() throws Exception {
        long id = nextId();
        HttpResponse<String> parked = post(delivery("credits.json", id, Map.of("unit", "gift_cards")));
        assertThat(parked.statusCode()).isEqualTo(202);

        HttpResponse<String> answer = send(HttpRequest.newBuilder(readParked())
                .header("Authorization", basic("operator", PASSWORD)).GET());
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode read = json(answer);
        assertThat(read.path("status").asInt()).as(answer.body()).isEqualTo(200);
        assertThat(read.path("value").isArray()).as(answer.body()).isTrue();
        assertThat(read.path("value").toString()).contains(String.valueOf(id)).contains("gift_cards");

        HttpResponse<String> console = send(HttpRequest.newBuilder(management("/actuator/hawtio/"))
                .header("Authorization", basic("operator", PASSWORD)).GET());
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).containsIgnoringCase("hawtio");
    }

    @Test
    void withTheOperatorsLoginJolokiaReadsTheParkedTable() throws Exception {
        long id = nextId();
        assertThat(post(delivery("credits.json", id, Map.of("unit", "gift_cards", "amount", "20.50"))).statusCode()).isEqualTo(202);

        HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create(readParked().toString() + "Table"))
                .header("Authorization", basic("operator", PASSWORD)).GET());
        assertThat(answer.statusCode()).isEqualTo(200);
        // Jolokia gives a table as maps keyed by its index: source, state, then id.
        JsonNode row = json(answer).path("value").path("v1").path("PARKED").path(String.valueOf(id));
        assertThat(row.path("unit").asText()).as(answer.body()).isEqualTo("gift_cards");
        assertThat(row.path("amount").asText()).isEqualTo("20.50");
        assertThat(row.path("reason").asText()).isEqualTo("unknown unit: gift_cards");
        assertThat(row.path("ageSeconds").isNumber()).isTrue();
    }

    /** A credits reward of this kind, claimed and parked as a delivery whose grant failed would leave it. */
    private void parkedCredits(FulfilmentKey key, String amount) throws Exception {
        Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));
        var claim = claims.claim(new Fulfilment(key, "evt-" + key, "credits", new BigDecimal(amount), "approved", 7L,
                "console-" + key.source().ledgerSource() + "-" + key.id(), null), deadline);
        lifecycle.park(claim, "parked " + key.source().ledgerSource() + " for the test", deadline);
    }

    private String sourceAndState(Source source, long id) {
        return jdbc.queryForObject("SELECT state FROM fulfilments WHERE source = ? AND fulfilment_id = ?", String.class,
                source.ledgerSource(), id);
    }

    @Test
    void aLegacyAndACommissionOfTheSameNumberAreListedWithTheirSourceAndReplayedByKind() throws Exception {
        long id = nextId();
        parkedCredits(FulfilmentKey.pending(id), "15");
        parkedCredits(new FulfilmentKey(Source.COMMISSION, id), "25");

        JsonNode table = json(send(HttpRequest.newBuilder(URI.create(readParked().toString() + "Table"))
                .header("Authorization", basic("operator", PASSWORD)).GET())).path("value");
        assertThat(table.path("v1").path("PARKED").path(String.valueOf(id)).path("amount").asText()).as(table.toString()).isEqualTo("15");
        assertThat(table.path("v2").path("PARKED").path(String.valueOf(id)).path("amount").asText()).isEqualTo("25");
        assertThat(table.path("v2").path("PARKED").path(String.valueOf(id)).path("source").asText()).isEqualTo("v2");
        assertThat(table.path("v2").path("PARKED").path(String.valueOf(id)).path("reason").asText()).isEqualTo("parked v2 for the test");
        JsonNode lines = json(send(HttpRequest.newBuilder(readParked()).header("Authorization", basic("operator", PASSWORD)).GET())).path("value");
        assertThat(lines.toString()).contains("\"v1 " + id + " credits 15").contains("\"v2 " + id + " credits 25");

        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        String[] kindAndId = {String.class.getName(), long.class.getName()};
        String replayed = (String) jmx.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {"v2", id}, kindAndId);

        // A commission's reward is read from FirstPromoter's API again, which this legacy bridge has no key for:
        // parked again, saying so (CommissionEventsTest replays one on a v2 bridge). The legacy row is untouched.
        assertThat(JSON.readTree(replayed).path("outcome").asText()).as(replayed).isEqualTo("parked");
        assertThat(JSON.readTree(replayed).path("detail").asText()).contains("FirstPromoter's API v2 is not configured");
        assertThat(sourceAndState(Source.COMMISSION, id)).isEqualTo("PARKED");
        assertThat(sourceAndState(Source.FULFILMENT_PENDING, id)).isEqualTo("PARKED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = ?", Integer.class, id)).isZero();

        // The one-argument replay keeps meaning v1.
        String legacy = (String) jmx.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {id}, new String[] {long.class.getName()});
        assertThat(JSON.readTree(legacy).path("outcome").asText()).as(legacy).isEqualTo("granted");
        assertThat(sourceAndState(Source.FULFILMENT_PENDING, id)).isEqualTo("GRANTED");
        assertThat(sourceAndState(Source.COMMISSION, id)).isEqualTo("PARKED");
        assertThat(jdbc.queryForList("SELECT source, account FROM ledger_entries WHERE fulfilment_id = ? AND account_kind = 'PROMOTER'", id))
                .containsExactly(Map.of("source", "v1", "account", "console-v1-" + id));
    }

    @Test
    void aReplayOfAnotherKindIsRefusedAndChangesNothing() throws Exception {
        long id = nextId();
        parkedCredits(new FulfilmentKey(Source.COMMISSION, id), "25");
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

        for (String kind : new String[] {"legacy", "V2", "", "v3"}) {
            String answer = (String) jmx.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {kind, id},
                    new String[] {String.class.getName(), long.class.getName()});
            assertThat(answer).isEqualTo("refused: kind '" + kind + "' is neither v1 (a legacy payout id) nor v2 (a commission id); "
                    + "nothing replayed");
        }
        assertThat(sourceAndState(Source.COMMISSION, id)).isEqualTo("PARKED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = ?", Integer.class, id)).isZero();
    }

    /** Hawtio's pages, its servlets and Jolokia are on the management port only. */
    @Test
    void theMainPortServesNoneOfTheConsole() {
        Map<String, Integer> served = new java.util.TreeMap<>();
        for (String path : new String[] {"/actuator/hawtio/", "/actuator/hawtio/index.html", "/actuator/hawtio/auth/config/session-timeout",
                "/actuator/hawtio/user", "/actuator/hawtio/jolokia", "/actuator/hawtio/proxy/", "/actuator/hawtio/refresh", "/actuator/hawtio/plugin",
                "/actuator/hawtio/keycloak/enabled", "/actuator/hawtio/auth/login", "/actuator/jolokia", "/actuator/jolokia/read/java.lang:type=Runtime/Uptime",
                "/hawtio/", "/jolokia", "/login"}) {
            HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", basic("operator", PASSWORD)).GET());
            served.put(path, answer.statusCode());
        }
        assertThat(served).allSatisfy((path, status) -> assertThat(status).as(path).isEqualTo(404));
    }

    @Test
    void healthAndPrometheusStayOpenAndTheWebhookKeepsItsOwnSecret() {
        assertThat(send(HttpRequest.newBuilder(management("/actuator/health")).GET()).statusCode()).as("open: UP or DOWN, never a login").isIn(200, 503);
        assertThat(send(HttpRequest.newBuilder(management("/actuator/prometheus")).GET()).statusCode()).isEqualTo(200);

        HttpResponse<String> granted = post(delivery("credits.json", nextId(), Map.of()));
        assertThat(granted.statusCode()).isEqualTo(200);
        assertThat(granted.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(granted.headers().firstValue("X-Frame-Options")).isEmpty();

        // The operator's login is not the webhook's secret, and the webhook answers as before, not with a login.
        HttpResponse<String> refused = send(HttpRequest.newBuilder(webhook(null))
                .header("Authorization", basic("operator", PASSWORD)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(delivery("credits.json", nextId(), Map.of()))));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(json(refused).path("outcome").asText()).isEqualTo("unauthorized");
        assertThat(refused.headers().firstValue("WWW-Authenticate")).isEmpty();
    }
}
