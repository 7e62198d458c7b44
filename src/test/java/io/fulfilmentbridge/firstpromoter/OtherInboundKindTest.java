package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.BridgeTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Contract 9: one inbound kind per bridge. A bridge on the legacy webhook answers FirstPromoter's
 * webhooks v2 events 202 ignored, naming the setting, after the same checks as any delivery (the
 * secret may come as a Bearer token there); it applies nothing, warns at most once a minute and shows
 * the count on health.
 */
@ExtendWith(OutputCaptureExtension.class)
class OtherInboundKindTest extends BridgeTest {

    @Autowired
    private HealthIndicator firstpromoterInbound;

    private HttpResponse<String> event(String body, String authorization, String query) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/firstpromoter/events"
                        + (query == null ? "" : "?" + query)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return send(request);
    }

    @Test
    void aV2EventIsIgnoredNamingTheSettingAndNothingIsApplied(CapturedOutput output) {
        int fulfilmentsBefore = count("fulfilments");
        int entriesBefore = count("ledger_entries");
        long ignoredBefore = (Long) firstpromoterInbound.health().getDetails().get("otherKindIgnored");

        HttpResponse<String> byBearer = event(sample("v2-commission-approved.json"), "Bearer " + SECRET, null);
        HttpResponse<String> byToken = event(sample("v2-commission-approved.json"), null, "token=" + OTHER_SECRET);

        for (HttpResponse<String> answer : java.util.List.of(byBearer, byToken)) {
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
            assertThat(json(answer).get("outcome").asText()).isEqualTo("ignored");
            assertThat(json(answer).get("detail").asText()).contains("bridge.firstpromoter.inbound is legacy");
        }
        assertThat(count("fulfilments")).isEqualTo(fulfilmentsBefore);
        assertThat(count("ledger_entries")).isEqualTo(entriesBefore);
        assertThat(firstpromoterInbound.health().getDetails())
                .containsEntry("inbound", "legacy").containsEntry("otherKindIgnored", ignoredBefore + 2).containsKey("lastOtherKindAt");
        // Two events within a minute: at most one warning.
        assertThat(output.getOut().split("webhooks v2 event was answered 202 ignored", -1).length - 1).isLessThanOrEqualTo(1);
        assertThat(output.getOut()).doesNotContain(SECRET);
    }

    @Test
    void theEventsEndpointKeepsTheWebhooksChecks() {
        String body = sample("v2-commission-approved.json");
        assertThat(event(body, null, null).statusCode()).isEqualTo(401);
        assertThat(event(body, "Bearer wrong-secret", null).statusCode()).isEqualTo(401);
        assertThat(event(body, "Basic " + Base64.getEncoder().encodeToString(("firstpromoter:" + SECRET).getBytes()), null)
                .statusCode()).isEqualTo(202);
        HttpResponse<String> get = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/firstpromoter/events"))
                .header("Authorization", "Bearer " + SECRET).GET());
        assertThat(get.statusCode()).isEqualTo(405);
    }

    /** The inbound kind is checked after the servlet filter's checks and before the body is read. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "{\"event_id\":\"3f1c\",\"data\":{\"id\":88901,\"status\":\"approved\"}}",
            "{\"event_id\":\"3f1d\",\"event_type\":{\"a\":1},\"data\":{\"id\":88901}}",
            "{not json",
            "[]"})
    void whateverComesToTheEventsEndpointIsTheOtherKind(String body) {
        int fulfilmentsBefore = count("fulfilments");
        int eventsBefore = count("commission_events");

        HttpResponse<String> answer = event(body, "Bearer " + SECRET, null);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        assertThat(json(answer).get("outcome").asText()).isEqualTo("ignored");
        assertThat(json(answer).get("detail").asText()).contains("bridge.firstpromoter.inbound is legacy");
        assertThat(count("fulfilments")).isEqualTo(fulfilmentsBefore);
        assertThat(count("commission_events")).isEqualTo(eventsBefore);
        // The secret is checked first, as on every delivery.
        assertThat(event(body, "Bearer wrong-secret", null).statusCode()).isEqualTo(401);
        assertThat(event(body, null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void theLegacyWebhookStillTakesNoBearerToken() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(webhook(null))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + SECRET)
                .POST(HttpRequest.BodyPublishers.ofString(delivery("credits.json", nextId(), java.util.Map.of()))));
        assertThat(response.statusCode()).isEqualTo(401);
    }
}
