package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Chargebee tests' deliveries and what the Chargebee stand-in received. */
abstract class ChargebeeBridgeSupport extends BridgeTest implements ChargebeeBridge {

    protected static String customerId(long id) {
        return "cb_cust_" + id;
    }

    protected static String subscriptionId(long id) {
        return "cb_sub_" + id;
    }

    protected static long epochIn(Duration fromNow) {
        return Instant.now().plus(fromNow).getEpochSecond();
    }

    /** A delivery of this sample with these data fields (promoter fields prefixed "promoter."). */
    protected HttpResponse<String> deliver(String sample, long id, Map<String, Object> data) {
        return post(delivery(sample, id, data));
    }

    protected HttpResponse<String> deliverMonths(long id, String custId, int months) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("promoter.cust_id", custId);
        data.put("amount", months);
        return deliver("free-months.json", id, data);
    }

    protected static List<LoggedRequest> posts(String path) {
        return CHARGEBEE.server().findAll(postRequestedFor(urlPathEqualTo(path)));
    }

    protected static List<LoggedRequest> allPosts() {
        return CHARGEBEE.server().findAll(postRequestedFor(anyUrl()));
    }

    /** Every request the stand-in received since the test began, in order, as method and path. */
    protected static List<String> chargebeeCalls() {
        return CHARGEBEE.server().findAll(anyRequestedFor(anyUrl())).stream()
                .map(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).toList();
    }

    /** A request's query as its decoded fields. */
    protected static Map<String, String> query(LoggedRequest request) {
        Map<String, String> fields = new LinkedHashMap<>();
        request.getQueryParams().forEach((name, value) -> fields.put(name, value.firstValue()));
        return fields;
    }

    /** Every request: the key as Basic user name; a write also its idempotency key. */
    protected static void assertWriteHeaders(LoggedRequest request, String idempotencyKey) {
        assertThat(request.getHeader("Authorization")).isEqualTo(BASIC);
        assertThat(request.getHeader("chargebee-idempotency-key")).isEqualTo(idempotencyKey);
    }

    protected String grantState(long id) {
        return jdbc.query("SELECT state FROM billing_grants WHERE fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, id);
    }

    /** The grant as if its key had been first sent this long ago (past Chargebee's idempotency window and the fence). */
    protected void ageGrant(long id, Duration ago) {
        Timestamp then = Timestamp.from(Instant.now().minus(ago));
        assertThat(jdbc.update("UPDATE billing_grants SET key_sent_at = ?, created_at = ? WHERE fulfilment_id = ?",
                then, then, id)).isEqualTo(1);
        fenceOver();
    }
}
