package io.fulfilmentbridge.recurly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.billing.BillingHttp;
import io.fulfilmentbridge.billing.BillingHttp.Answer;
import io.fulfilmentbridge.billing.BillingRefused;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The Recurly API v2021-02-25 calls the bridge makes (docs/billing-recurly.md lists them as the key's
 * permissions), each bounded by the answer's deadline. Recurly documents no idempotency key for this
 * version: a write whose answer was lost is settled by reading (RecurlyBilling), never re-sent blind.
 */
@Component
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "recurly")
public class RecurlyCalls {

    static final String SYSTEM = "Recurly";
    /** The version header Recurly requires on every request. */
    static final String ACCEPT = "application/vnd.recurly.v2021-02-25+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 200;

    private final BillingHttp http;
    private final String apiBase;
    private final String authorization;
    private final boolean configured;
    private final AtomicReference<String> keyRefused = new AtomicReference<>();

    public RecurlyCalls(RecurlySettings settings, MeterRegistry meters, Spans spans) {
        this.http = new BillingHttp(SYSTEM, settings.connectTimeout(), settings.readTimeout(), meters, spans);
        this.apiBase = settings.apiBase().replaceAll("/+$", "");
        // Basic auth with the key as the user name and no password, as Recurly documents.
        this.authorization = "Basic " + Base64.getEncoder()
                .encodeToString((settings.apiKey() + ":").getBytes(StandardCharsets.UTF_8));
        this.configured = settings.configured();
    }

    public boolean isConfigured() {
        return configured;
    }

    /** Why Recurly last refused the key (401/403), or null once it accepts it again. */
    public String keyRefused() {
        return keyRefused.get();
    }

    /** GET /accounts/{account_id}: by id, or by code as code-&lt;code&gt;; empty when Recurly has none. */
    public Optional<JsonNode> account(String accountId, Deadline deadline) {
        return found(get("/accounts/" + segment(accountId), "read account", deadline), "read account");
    }

    /** GET /accounts?email=: the accounts with exactly this email (the first page: more than one is enough to park). */
    public List<JsonNode> accountsWithEmail(String email, Deadline deadline) {
        Answer answer = get("/accounts?email=" + query(email) + "&limit=" + PAGE, "list accounts by email", deadline);
        return data(judge(answer, "list accounts by email"));
    }

    /** GET /accounts/{account_id}/subscriptions?state=active, newest first. */
    public List<JsonNode> activeSubscriptions(String accountId, Deadline deadline) {
        String call = "list the account's subscriptions";
        return data(judge(get("/accounts/" + segment(accountId) + "/subscriptions?state=active&sort=created_at&order=desc&limit="
                + PAGE, call, deadline), call));
    }

    /** GET /subscriptions/{subscription_id}; empty when Recurly has none. */
    public Optional<JsonNode> subscription(String subscriptionId, Deadline deadline) {
        return found(get("/subscriptions/" + segment(subscriptionId), "read subscription", deadline), "read subscription");
    }

    /**
     * PUT /subscriptions/{subscription_id} with next_bill_date: Recurly's documented way to postpone the
     * next bill (the trial's end, in a trial) without proration; the marker, where a field is set, in
     * the same request.
     */
    public JsonNode moveNextBillDate(String subscriptionId, Instant nextBillDate, String markerField, String marker,
                                     Deadline deadline) {
        ObjectNode body = JSON.createObjectNode();
        body.put("next_bill_date", nextBillDate.toString());
        if (!markerField.isEmpty()) {
            ArrayNode fields = body.putArray("custom_fields");
            fields.addObject().put("name", markerField).put("value", marker);
        }
        String call = "update subscription";
        return judge(send(request("/subscriptions/" + segment(subscriptionId)).header("Content-Type", "application/json")
                .PUT(body(body)), call, deadline), call);
    }

    /**
     * POST /accounts/{account_id}/line_items: a credit of unitAmount (in the currency's units), left
     * pending for the next invoice; the marker, where a field is set, in the same request.
     */
    public JsonNode credit(String accountId, String currency, BigDecimal unitAmount, String description,
                           String markerField, String marker, Deadline deadline) {
        ObjectNode body = JSON.createObjectNode();
        body.put("type", "credit");
        body.put("currency", currency);
        body.put("unit_amount", unitAmount);
        body.put("quantity", 1);
        body.put("description", description);
        if (!markerField.isEmpty()) {
            body.putArray("custom_fields").addObject().put("name", markerField).put("value", marker);
        }
        String call = "create credit line item";
        return judge(send(request("/accounts/" + segment(accountId) + "/line_items")
                .header("Content-Type", "application/json").POST(body(body)), call, deadline), call);
    }

    /** GET /accounts/{account_id}/line_items?type=credit created since, every page. */
    public List<JsonNode> creditsSince(String accountId, Instant since, Deadline deadline) {
        String call = "list the account's credits";
        String path = "/accounts/" + segment(accountId) + "/line_items?type=credit&sort=created_at&order=asc&begin_time="
                + query(since.toString()) + "&limit=" + PAGE;
        List<JsonNode> credits = new ArrayList<>();
        while (path != null) {
            JsonNode page = judge(get(path, call, deadline), call);
            credits.addAll(data(page));
            String next = page.path("next").asText("");
            path = page.path("has_more").asBoolean() && !next.isEmpty() ? next : null;
        }
        return credits;
    }

    private Answer get(String pathAndQuery, String call, Deadline deadline) {
        return send(request(pathAndQuery).GET(), call, deadline);
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(apiBase + pathAndQuery))
                .header("Accept", ACCEPT)
                .header("Authorization", authorization);
    }

    private static HttpRequest.BodyPublisher body(JsonNode body) {
        try {
            return HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Answer send(HttpRequest.Builder request, String call, Deadline deadline) {
        Answer answer = http.send(request, deadline);
        if (answer.status() == 401 || answer.status() == 403) {
            String refused = "Recurly refused the API key (" + answer.status() + "): check bridge.recurly.api-key";
            keyRefused.set(refused);
            throw new RetryLater(refused);
        }
        if (answer.status() == 409) {
            // simultaneous_request: another change to the same record was under way.
            throw new RetryLater("Recurly answered 409 to " + call + " (a simultaneous request); retry later");
        }
        keyRefused.set(null);
        return answer;
    }

    private static Optional<JsonNode> found(Answer answer, String call) {
        return answer.status() == 404 ? Optional.empty() : Optional.of(judge(answer, call));
    }

    /** A 2xx answer's body; anything else is Recurly refusing the request as asked, with its message. */
    private static JsonNode judge(Answer answer, String call) {
        if (answer.ok()) {
            return answer.json();
        }
        throw new BillingRefused("Recurly refused to " + call + " (" + answer.status() + "): " + message(answer));
    }

    /** Recurly's error: {"error": {"type", "message", "params": [{"param", "message"}]}}. */
    static String message(Answer answer) {
        JsonNode error;
        try {
            error = JSON.readTree(answer.body() == null || answer.body().isEmpty() ? "{}" : answer.body()).path("error");
        } catch (java.io.IOException unreadable) {
            return "no readable error";
        }
        StringBuilder message = new StringBuilder(error.path("message").asText("no message"));
        if (error.hasNonNull("type")) {
            message.append(" [").append(error.path("type").asText()).append(']');
        }
        for (JsonNode param : error.path("params")) {
            message.append("; ").append(param.path("param").asText()).append(": ").append(param.path("message").asText());
        }
        return message.toString();
    }

    private static List<JsonNode> data(JsonNode list) {
        List<JsonNode> items = new ArrayList<>();
        list.path("data").forEach(items::add);
        return items;
    }

    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
