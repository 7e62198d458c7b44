package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Every metric the dashboard and the alerts read (ops/, docs/operations.md, Dashboard and alerts) is one
 * the bridge exports, once one of each event has happened: a grant, a park, a billing call, a payout
 * and its result, a dead-lettered result, a notice given up, a reconciliation run. A series appears only once used, so a
 * renamed metric would leave a panel empty and an alert silent without this.
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.v1-api-key=fp_ops_v1_key",
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.max-attempts=1",
        "bridge.reconciliation.enabled=true"})
class OpsMetricsTest extends BridgeTest {

    /** Metric names as PromQL writes them: the bridge's and Camel's. */
    private static final Pattern METRIC = Pattern.compile("\\b(?:bridge|camel)_[a-z0-9_]+\\b");
    private static final List<Path> OPS_FILES = List.of(Path.of("ops/grafana/fulfilment-bridge.json"),
            Path.of("ops/prometheus/fulfilment-bridge.rules.yaml"));

    /** FirstPromoter's API knows no payout: a notice is given up at its one attempt. */
    private static final WireMockServer FIRSTPROMOTER = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    static {
        FIRSTPROMOTER.start();
        FIRSTPROMOTER.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(404)));
    }

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.v1-api-base", () -> "http://127.0.0.1:" + FIRSTPROMOTER.port());
    }

    @AfterAll
    static void stopFirstPromoter() {
        FIRSTPROMOTER.stop();
    }

    @LocalManagementPort
    private int managementPort;

    @Autowired
    private JmsTemplate jms;

    @Test
    void everyMetricTheDashboardAndTheAlertsReadIsExported() throws IOException {
        assertThat(post(delivery("credits.json", nextId(), Map.of())).statusCode()).isEqualTo(200);
        assertThat(json(post(delivery("credits.json", nextId(), Map.of("amount", "100000000")))).get("outcome").asText())
                .isEqualTo("parked");
        STRIPE.stubGrantableCustomer("cus_ops", "sub_ops");
        assertThat(post(delivery("free-months.json", nextId(), Map.of("promoter.cust_id", "cus_ops"))).statusCode()).isEqualTo(200);
        long cash = nextId();
        assertThat(json(post(delivery("cash.json", cash, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM payout_outbox WHERE fulfilment_id = ?", Long.class, cash) == 0);
        jms.send("payouts.results", session -> session.createTextMessage(
                "{\"fulfilment_id\":" + cash + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_ops\"}"));
        jms.send("payouts.results", session -> session.createTextMessage("not a payout result"));
        await().atMost(Duration.ofSeconds(15)).until(() -> "GAVE_UP".equals(jdbc.queryForObject(
                "SELECT firstpromoter_notice FROM fulfilments WHERE source = 'v1' AND fulfilment_id = ?", String.class, cash)));
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().contains("bridge_payout_results_total{result=\"dead_lettered\"}"));
        // The bridge's first reconciliation run (FirstPromoter's list answers 404 here: the run ends, and says so).
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM reconciliation_runs WHERE source = 'v1' AND last_finished_at IS NOT NULL", Integer.class) > 0);

        String scraped = scrape();
        Set<String> exported = scraped.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> line.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
        Set<String> used = new TreeSet<>();
        for (Path file : OPS_FILES) {
            Matcher names = METRIC.matcher(Files.readString(file));
            while (names.find()) {
                used.add(names.group());
            }
        }
        assertThat(used).as("metrics the dashboard and the alerts read").hasSizeGreaterThan(10);
        assertThat(exported).as("exported by the bridge after one of each event").containsAll(used);
        // The latency buckets the alert and the panel read end at the answer deadline.
        assertThat(scraped).contains("camel_route_policy_seconds_bucket{", "le=\"3.0\"", "le=\"9.0\"");
    }

    private String scrape() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).GET()).body();
    }
}
