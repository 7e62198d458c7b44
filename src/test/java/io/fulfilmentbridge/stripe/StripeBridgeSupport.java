package io.fulfilmentbridge.stripe;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deliveries of free months and what the Stripe stand-in received, for the Stripe tests. */
abstract class StripeBridgeSupport extends BridgeTest {

    protected static final String FULFILMENT_METADATA = "metadata[firstpromoter_fulfilment_id]";

    protected static String customerId(long fulfilmentId) {
        return "cus_T" + fulfilmentId;
    }

    protected static String subscriptionId(long fulfilmentId) {
        return "sub_T" + fulfilmentId;
    }

    protected static long epochIn(Duration fromNow) {
        return Instant.now().plus(fromNow).getEpochSecond();
    }

    /** A free-months delivery; data fields as {@link BridgeTest#delivery}, promoter fields prefixed "promoter.". */
    protected HttpResponse<String> deliver(long id, Map<String, Object> data) {
        return post(delivery("free-months.json", id, data));
    }

    protected HttpResponse<String> deliver(long id, String custId, Object months) {
        return deliver(id, Map.of("promoter.cust_id", custId, "amount", months));
    }

    protected static List<LoggedRequest> posts(String path) {
        return STRIPE.server().findAll(postRequestedFor(urlPathEqualTo(path)));
    }

    protected static List<LoggedRequest> gets(String path) {
        return STRIPE.server().findAll(getRequestedFor(urlPathEqualTo(path)));
    }

    /** Every request the stand-in received since the test began, in order, as method and path. */
    protected static List<String> stripeCalls() {
        return STRIPE.server().findAll(anyRequestedFor(anyUrl())).stream()
                .map(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).toList();
    }

    /** The fields a request's expand[] names (stripe-java numbers them: expand[0], expand[1]...). */
    protected static List<String> expand(LoggedRequest request) {
        return request.getQueryParams().entrySet().stream().filter(e -> e.getKey().matches("expand\\[\\d*]"))
                .sorted(Map.Entry.comparingByKey()).flatMap(e -> e.getValue().values().stream()).toList();
    }

    /** Every request the stand-in received that names the customer, in its path or its query. */
    protected static List<LoggedRequest> requestsAbout(String customerId) {
        return STRIPE.server().getAllServeEvents().stream().map(e -> e.getRequest())
                .filter(r -> URLDecoder.decode(r.getUrl(), StandardCharsets.UTF_8).contains(customerId))
                .map(LoggedRequest.class::cast).toList();
    }

    /** The headers every grant carries: the test key, and the idempotency key derived from the fulfilment id. */
    protected static void assertGrantHeaders(LoggedRequest request, long fulfilmentId) {
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + STRIPE_KEY);
        assertThat(request.getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + fulfilmentId);
    }

    /** The Stripe grant's state (billing_grants), or null when there is none. */
    protected String grantState(long fulfilmentId) {
        return jdbc.query("SELECT state FROM billing_grants WHERE billing_system = 'stripe' AND fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, fulfilmentId);
    }

    /** The trial end the Stripe grant sets, in epoch seconds as Stripe takes it. */
    protected Long trialTarget(long fulfilmentId) {
        return jdbc.queryForObject("SELECT target_at FROM billing_grants WHERE billing_system = 'stripe' AND fulfilment_id = ?",
                java.sql.Timestamp.class, fulfilmentId).toInstant().getEpochSecond();
    }

    /** Moves the Stripe grant's key and its storing back to this instant, as if sent then. */
    protected void keySentAt(long fulfilmentId, java.sql.Timestamp at) {
        jdbc.update("UPDATE billing_grants SET key_sent_at = ?, created_at = ? WHERE billing_system = 'stripe' "
                + "AND fulfilment_id = ?", at, at, fulfilmentId);
    }
}
