package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;

/** Deliveries of each outcome move the Prometheus counters by exactly that much. */
class MetricsTest extends BridgeTest {

    @LocalManagementPort
    private int managementPort;

    private String scrape() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).GET()).body();
    }

    private static double value(String scrape, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static final String GRANTED_CREDITS = "bridge_fulfilments_total{outcome=\"granted\",unit=\"credits\"}";
    private static final String PARKED_POINTS = "bridge_fulfilments_total{outcome=\"parked\",unit=\"points\"}";
    private static final String PARKED_OTHER = "bridge_fulfilments_total{outcome=\"parked\",unit=\"other\"}";
    private static final String UNAUTHORIZED = "bridge_fulfilments_total{outcome=\"unauthorized\",unit=\"none\"}";
    private static final String REJECTED = "bridge_fulfilments_total{outcome=\"rejected\",unit=\"none\"}";
    private static final String PARKED_GAUGE = "bridge_fulfilments_parked";

    @Test
    void eachAnswerCountsOnceByUnitAndOutcome() {
        String before = scrape();
        post(delivery("credits.json", nextId(), Map.of()));
        post(delivery("credits.json", nextId(), Map.of()));
        post(delivery("credits.json", nextId(), Map.of("unit", "points", "amount", -1)));
        post(delivery("credits.json", nextId(), Map.of("unit", "stars\nforged log line")));
        post("not json");
        send(HttpRequest.newBuilder(webhook("token=wrong")).POST(HttpRequest.BodyPublishers.ofString("{}")));
        String after = scrape();

        assertThat(value(after, GRANTED_CREDITS) - value(before, GRANTED_CREDITS)).isEqualTo(2);
        assertThat(value(after, PARKED_POINTS) - value(before, PARKED_POINTS)).isEqualTo(1);
        assertThat(value(after, PARKED_OTHER) - value(before, PARKED_OTHER)).isEqualTo(1);
        assertThat(value(after, REJECTED) - value(before, REJECTED)).isEqualTo(1);
        assertThat(value(after, UNAUTHORIZED) - value(before, UNAUTHORIZED)).isEqualTo(1);
        assertThat(value(after, PARKED_GAUGE) - value(before, PARKED_GAUGE)).isEqualTo(2);
        assertThat(value(after, "bridge_fulfilments_parked_oldest_age_seconds")).isGreaterThanOrEqualTo(0);
        assertThat(after).contains("bridge_payouts_outbox_backlog");
        assertThat(after).as("notices given up, 0 without any").contains("bridge_firstpromoter_notices_given_up");
        assertThat(after).containsPattern("routeId=\"fulfilment-webhook\"").containsPattern("routeId=\"credits\"");
    }
}
