package io.fulfilmentbridge.paddle;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The Paddle tests' deliveries and what the Paddle stand-in received. */
abstract class PaddleBridgeSupport extends BridgeTest implements PaddleBridge {

    protected static String customerId(long fulfilmentId) {
        return "ctm_t" + fulfilmentId;
    }

    protected static String subscriptionId(long fulfilmentId) {
        return "sub_t" + fulfilmentId;
    }

    protected static String email(long fulfilmentId) {
        return "p" + fulfilmentId + "@example.org";
    }

    protected static Instant plusMonths(Instant instant, int months) {
        return instant.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
    }

    /** A free-months delivery for this cust_id, with the promoter's email email(id). */
    protected HttpResponse<String> deliver(long id, String custId, Object months) {
        Map<String, Object> data = new HashMap<>();
        data.put("promoter.cust_id", custId);
        data.put("promoter.email", email(id));
        data.put("amount", months);
        return post(delivery("free-months.json", id, data));
    }

    protected static List<LoggedRequest> updates(long id) {
        return PADDLE.server().findAll(patchRequestedFor(urlPathEqualTo("/subscriptions/" + subscriptionId(id))));
    }

    protected static List<LoggedRequest> allUpdates() {
        return PADDLE.server().findAll(patchRequestedFor(anyUrl()));
    }

    /** Every request the stand-in received since the test began, in order, as method and path. */
    protected static List<String> paddleCalls() {
        return PADDLE.server().findAll(anyRequestedFor(anyUrl())).stream()
                .map(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).toList();
    }

    protected static JsonNode body(LoggedRequest request) {
        try {
            return JSON.readTree(request.getBodyAsString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one update body a grant sends: the date, no billing, the marker merged into custom_data. */
    static ObjectNode expectedUpdate(Instant target, Map<String, String> customData) {
        ObjectNode body = JSON.createObjectNode();
        body.put("next_billed_at", target.truncatedTo(ChronoUnit.SECONDS).toString());
        body.put("proration_billing_mode", "do_not_bill");
        if (customData != null) {
            body.set("custom_data", JSON.valueToTree(customData));
        }
        return body;
    }

    static Map<String, String> marked(long id, Map<String, String> kept) {
        java.util.LinkedHashMap<String, String> customData = new java.util.LinkedHashMap<>(kept);
        customData.put("firstpromoter_grant", "fulfilment-" + id);
        return customData;
    }

    /** The headers every Paddle request carries: the key as a bearer token, the API version, JSON. */
    protected static void assertPaddleHeaders(LoggedRequest request) {
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + PADDLE_KEY);
        assertThat(request.getHeader("Paddle-Version")).isEqualTo("1");
        assertThat(request.getHeader("Accept")).isEqualTo("application/json");
    }

    /** A grant's update as Paddle documents it: the headers, JSON, no idempotency key (Paddle Billing documents none), this body. */
    static void assertUpdate(LoggedRequest update, ObjectNode expectedBody) {
        assertPaddleHeaders(update);
        assertThat(update.getHeader("Content-Type")).startsWith("application/json");
        assertThat(update.getAllHeaderKeys()).noneMatch(h -> h.toLowerCase().contains("idempotency"));
        assertThat(body(update)).isEqualTo(expectedBody);
    }

    /** The billing_grants row's state, or null when there is none. */
    protected String grantState(long fulfilmentId) {
        return jdbc.query("SELECT state FROM billing_grants WHERE fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, fulfilmentId);
    }

    protected Instant grantTarget(long fulfilmentId) {
        return jdbc.queryForObject("SELECT target_at FROM billing_grants WHERE fulfilment_id = ?",
                java.sql.Timestamp.class, fulfilmentId).toInstant();
    }
}
