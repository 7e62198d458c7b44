package io.fulfilmentbridge.paddle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.billing.BillingHttp;
import io.fulfilmentbridge.billing.BillingRefused;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The Paddle Billing API calls the bridge makes (docs/billing-paddle.md lists them as the key's
 * permissions), each bounded by the answer deadline. Paddle has no idempotency key: the one write,
 * moving a subscription's next billing date, sets absolute values, so sending it again changes
 * nothing more; what was sent is told apart by reading (PaddleBilling.settle).
 */
@Component
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "paddle")
public class PaddleCalls {

    /** The proration mode that neither charges nor credits for the moved date (Paddle: change billing dates). */
    static final String DO_NOT_BILL = "do_not_bill";
    static final String GRANTABLE_STATUSES = "active,trialing,past_due";
    private static final int PAGE = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BillingHttp http;
    private final String apiBase;
    private final String apiKey;
    private final AtomicReference<String> keyRefused = new AtomicReference<>();

    public PaddleCalls(PaddleSettings settings, MeterRegistry meters, Spans spans) {
        this.http = new BillingHttp("Paddle", settings.connectTimeout(), settings.readTimeout(), meters, spans);
        this.apiBase = settings.apiBase();
        this.apiKey = settings.apiKey();
    }

    public boolean isConfigured() {
        return !apiKey.isEmpty();
    }

    /** Why the key was refused (401/403) the last time, or null: health reports DOWN while it is set. */
    public String keyRefused() {
        return keyRefused.get();
    }

    /** GET /customers/{id}: the customer, or empty when Paddle has none of that id. */
    public Optional<PaddleCustomer> customer(String id, Deadline deadline) {
        BillingHttp.Answer answer = call("get customer", get("/customers/" + segment(id)), deadline, true);
        return answer.status() == 404 ? Optional.empty() : Optional.of(PaddleCustomer.of(data(answer, "get customer")));
    }

    /** GET /customers?email=...: the active customers with exactly this email, all pages. */
    public List<PaddleCustomer> customersWithEmail(String email, Deadline deadline) {
        List<PaddleCustomer> found = new ArrayList<>();
        for (JsonNode customer : pages("list customers", "/customers?email=" + query(email), deadline)) {
            found.add(PaddleCustomer.of(customer));
        }
        return found;
    }

    /** GET /subscriptions?customer_id=...&status=active,trialing,past_due: all pages. */
    public List<PaddleSubscription> grantableSubscriptions(String customerId, Deadline deadline) {
        List<PaddleSubscription> found = new ArrayList<>();
        for (JsonNode subscription : pages("list subscriptions",
                "/subscriptions?customer_id=" + query(customerId) + "&status=" + GRANTABLE_STATUSES, deadline)) {
            found.add(PaddleSubscription.of(subscription));
        }
        return found;
    }

    /** GET /subscriptions/{id}. */
    public PaddleSubscription subscription(String id, Deadline deadline) {
        return PaddleSubscription.of(data(call("get subscription", get("/subscriptions/" + segment(id)), deadline, false),
                "get subscription"));
    }

    /**
     * PATCH /subscriptions/{id}: next_billed_at moved to the target with proration_billing_mode
     * do_not_bill, and custom_data (the subscription's whole custom_data, the grant's marker merged in)
     * where it is given; null for a trialing subscription, on which Paddle updates only items and
     * next_billed_at.
     */
    public PaddleSubscription moveNextBilling(String subscriptionId, Instant target, ObjectNode customData,
                                              Deadline deadline) {
        ObjectNode body = JSON.createObjectNode();
        body.put("next_billed_at", target.toString());
        body.put("proration_billing_mode", DO_NOT_BILL);
        if (customData != null) {
            body.set("custom_data", customData);
        }
        HttpRequest.Builder request = request("/subscriptions/" + segment(subscriptionId))
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        return PaddleSubscription.of(data(call("update subscription", request, deadline, false), "update subscription"));
    }

    private List<JsonNode> pages(String what, String firstPath, Deadline deadline) {
        List<JsonNode> all = new ArrayList<>();
        String after = null;
        while (true) {
            String path = firstPath + "&per_page=" + PAGE + (after == null ? "" : "&after=" + query(after));
            JsonNode page = json(call(what, get(path), deadline, false), what);
            JsonNode data = page.path("data");
            if (!data.isArray()) {
                throw new RetryLater("Paddle's answer could not be read (" + what + "); retry later");
            }
            data.forEach(all::add);
            boolean more = page.path("meta").path("pagination").path("has_more").asBoolean(false);
            if (!more || data.isEmpty()) {
                return all;
            }
            after = data.get(data.size() - 1).path("id").asText();
        }
    }

    private HttpRequest.Builder get(String path) {
        return request(path).GET();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(apiBase + path))
                .header("Authorization", "Bearer " + apiKey)
                .header("Accept", "application/json")
                .header("Paddle-Version", "1");
    }

    /**
     * Sends the request and judges Paddle's status: 2xx (and 404 where notFoundIsAnswer) are returned;
     * 401/403 (a refused key: health DOWN) and 409 are transient; any other 4xx is Paddle's refusal,
     * with its message. Timeouts, 429 and 5xx are RetryLater from BillingHttp.
     */
    private BillingHttp.Answer call(String what, HttpRequest.Builder request, Deadline deadline, boolean notFoundIsAnswer) {
        BillingHttp.Answer answer = http.send(request, deadline);
        int status = answer.status();
        if (answer.ok()) {
            keyRefused.set(null);
            return answer;
        }
        if (status == 401 || status == 403) {
            keyRefused.set("Paddle refused the API key (" + status + ")");
            throw new RetryLater("Paddle refused the API key (" + what + ", " + status + "); retry later");
        }
        if (status == 404 && notFoundIsAnswer) {
            return answer;
        }
        if (status == 409) {
            throw new RetryLater("Paddle answered 409 (" + what + "); retry later");
        }
        if (status >= 400 && status < 500) {
            throw new BillingRefused("Paddle refused (" + what + ", " + status + "): " + message(answer));
        }
        throw new RetryLater("Paddle answered " + status + " (" + what + "); retry later");
    }

    private static JsonNode json(BillingHttp.Answer answer, String what) {
        try {
            JsonNode json = answer.json();
            if (json == null || !json.isObject()) {
                throw new IllegalStateException("not a JSON object");
            }
            return json;
        } catch (RuntimeException unreadable) {
            throw new RetryLater("Paddle's answer could not be read (" + what + "); retry later");
        }
    }

    private static JsonNode data(BillingHttp.Answer answer, String what) {
        JsonNode data = json(answer, what).path("data");
        if (!data.isObject() || !data.hasNonNull("id")) {
            throw new RetryLater("Paddle's answer could not be read (" + what + "); retry later");
        }
        return data;
    }

    /** Paddle's error: its code and detail, and the fields it names. */
    private static String message(BillingHttp.Answer answer) {
        try {
            JsonNode error = answer.json().path("error");
            StringBuilder message = new StringBuilder();
            message.append(error.path("detail").asText("(no detail)"));
            if (error.hasNonNull("code")) {
                message.append(" [").append(error.get("code").asText()).append("]");
            }
            for (JsonNode field : error.path("errors")) {
                message.append("; ").append(field.path("field").asText()).append(": ").append(field.path("message").asText());
            }
            return message.toString();
        } catch (RuntimeException unreadable) {
            return "(an answer that is not Paddle's error object)";
        }
    }

    /** A path segment: ids come from deliveries, so they are encoded, never trusted. */
    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
