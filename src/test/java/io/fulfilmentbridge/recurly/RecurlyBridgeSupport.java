package io.fulfilmentbridge.recurly;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The Recurly tests' deliveries and what the Recurly stand-in received. */
abstract class RecurlyBridgeSupport extends BridgeTest implements RecurlyBridge {

    /** Recurly's ids: 12 lowercase letters and digits, one per fulfilment. */
    static String accountId(long fulfilmentId) {
        return "acct" + pad(fulfilmentId);
    }

    static String subscriptionId(long fulfilmentId) {
        return "subs" + pad(fulfilmentId);
    }

    /** The app's own id for the customer: the Recurly account's code. */
    static String appId(long fulfilmentId) {
        return "app-user-" + fulfilmentId;
    }

    static String email(long fulfilmentId) {
        return "promoter-" + fulfilmentId + "@example.org";
    }

    private static String pad(long id) {
        String base36 = Long.toString(id, 36);
        return "0".repeat(Math.max(0, 8 - base36.length())) + base36;
    }

    protected HttpResponse<String> deliver(long id, Map<String, Object> data) {
        return post(delivery("free-months.json", id, data));
    }

    /** Every request the stand-in received since the test began, in order, as method, path and query. */
    protected static List<String> recurlyCalls() {
        return requests().stream().map(r -> r.getMethod() + " " + r.getUrl()).toList();
    }

    protected static List<LoggedRequest> requests() {
        List<LoggedRequest> all = new java.util.ArrayList<>(RECURLY.server().findAll(anyRequestedFor(anyUrl())));
        all.sort(java.util.Comparator.comparing(LoggedRequest::getLoggedDate));
        return all;
    }

    protected static List<LoggedRequest> requests(String method, String path) {
        return requests().stream().filter(r -> r.getMethod().getName().equals(method) && r.getUrl().split("\\?")[0].equals(path))
                .toList();
    }

    /** What every request to Recurly carries: the version's Accept header, the key as Basic user, no idempotency key. */
    protected static void assertRecurlyHeaders(LoggedRequest request) {
        assertThat(request.getHeader("Accept")).isEqualTo(RecurlyStandIn.ACCEPT);
        assertThat(request.getHeader("Authorization")).isEqualTo(RECURLY.authorization());
        // Recurly v2021-02-25 documents no idempotency key: none is sent, rather than one it would ignore.
        assertThat(request.containsHeader("Idempotency-Key")).isFalse();
    }

    /** A grant's update as Recurly documents it: the next bill date set to the target and the marker with it, nothing else. */
    static void assertUpdate(LoggedRequest update, long id, Instant target) {
        assertRecurlyHeaders(update);
        JsonNode body = body(update);
        assertThat(body.get("next_bill_date").asText()).isEqualTo(RecurlyStandIn.iso(target));
        assertThat(body.get("custom_fields")).hasSize(1);
        assertThat(body.get("custom_fields").get(0).get("name").asText()).isEqualTo(MARKER_FIELD);
        assertThat(body.get("custom_fields").get(0).get("value").asText()).isEqualTo("fulfilment-" + id);
        // Nothing else of the subscription is touched.
        assertThat(body.size()).isEqualTo(2);
    }

    protected static JsonNode body(LoggedRequest request) {
        assertThat(request.getHeader("Content-Type")).startsWith("application/json");
        try {
            return JSON.readTree(request.getBodyAsString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The billing_grants row's state, or null when there is none. */
    protected String grantState(long fulfilmentId) {
        return jdbc.query("SELECT state FROM billing_grants WHERE fulfilment_id = ? AND billing_system = 'recurly'",
                rs -> rs.next() ? rs.getString(1) : null, fulfilmentId);
    }
}
