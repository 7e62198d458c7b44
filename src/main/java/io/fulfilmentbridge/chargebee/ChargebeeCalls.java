package io.fulfilmentbridge.chargebee;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.billing.BillingHttp;
import io.fulfilmentbridge.billing.BillingHttp.Answer;
import io.fulfilmentbridge.chargebee.ChargebeeModels.Customer;
import io.fulfilmentbridge.chargebee.ChargebeeModels.Page;
import io.fulfilmentbridge.chargebee.ChargebeeModels.PromotionalCredit;
import io.fulfilmentbridge.chargebee.ChargebeeModels.Subscription;
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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The calls the bridge makes to Chargebee's API v2 (docs/billing-chargebee.md lists them as the key's
 * permissions): HTTP Basic with the site's API key as the user name, form-encoded writes carrying
 * chargebee-idempotency-key, JSON answers. Each is bounded by the answer's deadline. A refused key
 * (401/403) is transient for the delivery and turns health DOWN; any other 4xx is Chargebee refusing
 * the request as asked, with its message.
 */
@Component
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "chargebee")
public class ChargebeeCalls {

    static final String SYSTEM = "Chargebee";
    static final String IDEMPOTENCY_KEY = "chargebee-idempotency-key";
    private static final int PAGE = 100;

    private final ChargebeeSettings settings;
    private final BillingHttp http;
    private final String authorization;
    private final AtomicReference<String> keyRefused = new AtomicReference<>();

    public ChargebeeCalls(ChargebeeSettings settings, MeterRegistry meters, Spans spans) {
        this.settings = settings;
        this.http = new BillingHttp(SYSTEM, settings.connectTimeout(), settings.readTimeout(), meters, spans);
        this.authorization = "Basic " + Base64.getEncoder()
                .encodeToString((settings.apiKey() + ":").getBytes(StandardCharsets.UTF_8));
    }

    public boolean isConfigured() {
        return settings.configured();
    }

    /** Why the key was refused (401/403) the last time, or null: health reports DOWN while it is set. */
    public String keyRefused() {
        return keyRefused.get();
    }

    /**
     * GET /api/v2/customers/{id}: the customer, or empty when Chargebee has none of that id (404), or
     * takes the value for no id (400: a cust_id that is the app's own id in a form Chargebee ids cannot have).
     */
    Optional<Customer> customer(String customerId, Deadline deadline) {
        Answer answer = get("/api/v2/customers/" + segment(customerId), Map.of(), deadline);
        if (answer.status() == 404 || answer.status() == 400) {
            return Optional.empty();
        }
        return Optional.of(Customer.of(judge("retrieve customer", answer).path("customer")));
    }

    /** GET /api/v2/customers?{field}[is]={value}: the customers the filter returns (Chargebee's first page). */
    List<Customer> customersWhere(String field, String value, Deadline deadline) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put(field + "[is]", value);
        query.put("limit", "10");
        return page(judge("list customers", get("/api/v2/customers", query, deadline)), "customer", Customer::of).items();
    }

    /** GET /api/v2/subscriptions?customer_id[is]={id}, newest first: one page. */
    Page<Subscription> subscriptions(String customerId, String offset, Deadline deadline) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("customer_id[is]", customerId);
        query.put("sort_by[desc]", "created_at");
        query.put("limit", Integer.toString(PAGE));
        if (offset != null) {
            query.put("offset", offset);
        }
        return page(judge("list subscriptions", get("/api/v2/subscriptions", query, deadline)), "subscription",
                Subscription::of);
    }

    /** GET /api/v2/subscriptions/{id}. */
    Subscription subscription(String subscriptionId, Deadline deadline) {
        return Subscription.of(judge("retrieve subscription", get("/api/v2/subscriptions/" + segment(subscriptionId),
                Map.of(), deadline)).path("subscription"));
    }

    /**
     * POST /api/v2/subscriptions/{id}/change_term_end: the term (or the trial, for an in_trial
     * subscription; the cancellation date, for a non_renewing one) ends at termEndsAt, with no
     * proration and no invoice now.
     */
    void changeTermEnd(String subscriptionId, Instant termEndsAt, String idempotencyKey, Deadline deadline) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("term_ends_at", Long.toString(termEndsAt.getEpochSecond()));
        form.put("prorate", "false");
        form.put("invoice_immediately", "false");
        judge("change term end", post("/api/v2/subscriptions/" + segment(subscriptionId) + "/change_term_end", form,
                idempotencyKey, deadline));
    }

    /** POST /api/v2/promotional_credits/add: amount minor units of currency, its reference the grant's marker. */
    void addPromotionalCredits(String customerId, long amount, String currency, String description, String reference,
                               String idempotencyKey, Deadline deadline) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("customer_id", customerId);
        form.put("amount", Long.toString(amount));
        form.put("currency_code", currency);
        form.put("description", description);
        form.put("credit_type", "referral_rewards");
        form.put("reference", reference);
        judge("add promotional credits", post("/api/v2/promotional_credits/add", form, idempotencyKey, deadline));
    }

    /** GET /api/v2/promotional_credits?customer_id[is]={id}&created_at[after]={since}: one page. */
    Page<PromotionalCredit> promotionalCredits(String customerId, Instant since, String offset, Deadline deadline) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("customer_id[is]", customerId);
        query.put("created_at[after]", Long.toString(since.getEpochSecond()));
        query.put("limit", Integer.toString(PAGE));
        if (offset != null) {
            query.put("offset", offset);
        }
        return page(judge("list promotional credits", get("/api/v2/promotional_credits", query, deadline)),
                "promotional_credit", PromotionalCredit::of);
    }

    private Answer get(String path, Map<String, String> query, Deadline deadline) {
        String uri = settings.apiBase() + path + (query.isEmpty() ? "" : "?" + encoded(query));
        return http.send(HttpRequest.newBuilder(URI.create(uri)).header("Authorization", authorization)
                .header("Accept", "application/json").GET(), deadline);
    }

    private Answer post(String path, Map<String, String> form, String idempotencyKey, Deadline deadline) {
        return http.send(HttpRequest.newBuilder(URI.create(settings.apiBase() + path))
                .header("Authorization", authorization)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(IDEMPOTENCY_KEY, idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(encoded(form))), deadline);
    }

    /** The answer's JSON when Chargebee did what was asked; see the class comment for the rest. */
    private JsonNode judge(String call, Answer answer) {
        if (answer.status() == 401 || answer.status() == 403) {
            keyRefused.set(SYSTEM + " refused the API key (" + answer.status() + ")");
            throw new RetryLater(SYSTEM + " refused the API key (" + answer.status() + "); retry later");
        }
        keyRefused.set(null);
        if (answer.ok()) {
            return answer.json();
        }
        throw new ChargebeeRefused(answer.status(), SYSTEM + " refused (" + call + ", " + answer.status() + "): "
                + message(answer));
    }

    /** Chargebee's error message (and its api_error_code), or the status alone. */
    private static String message(Answer answer) {
        JsonNode error;
        try {
            error = answer.json();
        } catch (RetryLater unreadable) {
            return "no readable error";
        }
        String message = error.path("message").asText("");
        String code = error.path("api_error_code").asText("");
        if (message.isEmpty()) {
            return code.isEmpty() ? "no message" : code;
        }
        return code.isEmpty() ? message : message + " (" + code + ")";
    }

    /** A list answer's resources of that name (each entry wraps them by name) and its next offset. */
    private static <T> Page<T> page(JsonNode list, String name, Function<JsonNode, T> read) {
        List<T> items = new ArrayList<>();
        list.path("list").forEach(entry -> {
            if (entry.path(name).isObject()) {
                items.add(read.apply(entry.get(name)));
            }
        });
        return new Page<>(items, list.hasNonNull("next_offset") ? list.get("next_offset").asText() : null);
    }

    private static String encoded(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** An id as one path segment: a slash or a space in it stays inside the segment. */
    private static String segment(String id) {
        return encode(id).replace("+", "%20");
    }
}
