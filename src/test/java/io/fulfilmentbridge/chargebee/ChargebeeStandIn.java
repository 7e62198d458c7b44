package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the part of Chargebee's API v2 the bridge calls, on WireMock, as its API
 * reference shows it: {@code /api/v2/...} paths, HTTP Basic with the API key as the user name,
 * form-encoded writes, answers wrapping each resource by name ({"customer": {...}}, lists as
 * {"list": [{"subscription": {...}, "customer": {...}}], "next_offset": ...}), errors as
 * {"message", "type", "api_error_code", "http_status_code"}. Like Chargebee, it keeps the first answer
 * to a POST per chargebee-idempotency-key and replays it, with {@code chargebee-idempotency-replayed: true},
 * to a later POST with the same key (Chargebee keeps keys 30 minutes; the stand-in until reset).
 */
public class ChargebeeStandIn {

    public static final String DEMO_CUSTOMER = "cus_Pq7Xb2LrT0aZ1c";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer server;
    private final io.fulfilmentbridge.HeldWrites live = new io.fulfilmentbridge.HeldWrites("chargebee-live");
    private final IdempotencyReplay replay = new IdempotencyReplay(live);

    public ChargebeeStandIn(int port) {
        server = new WireMockServer(options().port(port).bindAddress("127.0.0.1").extensions(replay));
        server.start();
        stubDefaults();
    }

    /**
     * The local demo's Chargebee: the sample deliveries' customer ({@link #DEMO_CUSTOMER}, jane@example.org)
     * with one active monthly subscription, sub_demo, that takes term-end changes and promotional credits.
     */
    public static ChargebeeStandIn demo(int port) {
        ChargebeeStandIn chargebee = new ChargebeeStandIn(port);
        chargebee.stubGrantableCustomer(DEMO_CUSTOMER, "sub_demo", "jane@example.org");
        return chargebee;
    }

    public WireMockServer server() {
        return server;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public void reset() {
        live.clear();
        server.resetAll();
        replay.stored.clear();
        replay.fresh.clear();
        stubDefaults();
    }

    public void stop() {
        server.stop();
    }

    /** How many POSTs to this path Chargebee carried out (answered 2xx): replays of a stored answer do not count. */
    public int effects(String path) {
        AtomicInteger count = replay.fresh.get(path);
        return count == null ? 0 : count.get();
    }

    /** The subscriptions that change when written, and how writes to them are held. */
    public io.fulfilmentbridge.HeldWrites live() {
        return live;
    }

    /**
     * One subscription kept as Chargebee keeps it: reading it (and the customer's list) answers it as it
     * is now, and change_term_end sets its term end (and next billing) when applied, after any hold. A
     * POST whose idempotency key already has a stored answer is answered that and not applied again.
     * Every term end it had, in order, is added to history.
     */
    public ObjectNode liveSubscription(ObjectNode subscription, String email, List<Long> history) {
        String id = subscription.path("id").asText();
        String customerId = subscription.path("customer_id").asText();
        stubCustomer(customer(customerId, email));
        stubSubscriptions(customerId, subscription);
        stubSubscription(subscription);
        stubChangeTermEnd(subscription);
        history.add(subscription.path("current_term_end").asLong());
        live.onRead("/api/v2/subscriptions/" + encoded(id), () -> {
            synchronized (subscription) {
                return wrapped("subscription", subscription.deepCopy());
            }
        });
        live.onRead("/api/v2/subscriptions", () -> {
            synchronized (subscription) {
                return list("subscription", List.of(subscription.deepCopy()), null);
            }
        });
        live.onWrite("POST", changeTermEndPath(id), request -> {
            long termEnd = java.util.Arrays.stream(request.getBodyAsString().split("&"))
                    .filter(pair -> pair.startsWith("term_ends_at=")).mapToLong(pair -> Long.parseLong(pair.substring(13)))
                    .findFirst().orElseThrow();
            synchronized (subscription) {
                subscription.put("current_term_end", termEnd);
                subscription.put("next_billing_at", termEnd);
                history.add(termEnd);
                return wrapped("subscription", subscription.deepCopy());
            }
        });
        return subscription;
    }

    // Resources, as the API reference shows them (the fields the bridge reads, and a few around them).

    public static ObjectNode customer(String id, String email) {
        ObjectNode customer = JSON.createObjectNode();
        customer.put("id", id);
        customer.put("object", "customer");
        customer.put("email", email);
        customer.put("auto_collection", "on");
        customer.put("preferred_currency_code", "USD");
        customer.put("promotional_credits", 0);
        customer.put("deleted", false);
        customer.put("created_at", Instant.parse("2024-01-15T00:00:00Z").getEpochSecond());
        return customer;
    }

    /** A subscription; trialEnd only for an in_trial one (null: none). */
    public static ObjectNode subscription(String id, String customerId, String status, long createdAt,
                                          long currentTermEnd, Long trialEnd, String currency) {
        ObjectNode subscription = JSON.createObjectNode();
        subscription.put("id", id);
        subscription.put("object", "subscription");
        subscription.put("customer_id", customerId);
        subscription.put("status", status);
        subscription.put("currency_code", currency);
        subscription.put("billing_period", 1);
        subscription.put("billing_period_unit", "month");
        subscription.put("created_at", createdAt);
        subscription.put("started_at", createdAt);
        subscription.put("current_term_start", currentTermEnd - Duration.ofDays(30).toSeconds());
        subscription.put("current_term_end", currentTermEnd);
        if (!"non_renewing".equals(status)) {
            subscription.put("next_billing_at", currentTermEnd);
        }
        if (trialEnd != null) {
            subscription.put("trial_start", createdAt);
            subscription.put("trial_end", trialEnd);
        }
        subscription.put("deleted", false);
        return subscription;
    }

    public static ObjectNode promotionalCredit(String id, String customerId, long amount, String currency, String reference) {
        ObjectNode credit = JSON.createObjectNode();
        credit.put("id", id);
        credit.put("object", "promotional_credit");
        credit.put("customer_id", customerId);
        credit.put("type", "increment");
        credit.put("amount", amount);
        credit.put("currency_code", currency);
        credit.put("description", "a credit");
        credit.put("credit_type", "referral_rewards");
        if (reference != null) {
            credit.put("reference", reference);
        }
        credit.put("closing_balance", amount);
        credit.put("created_at", Instant.now().getEpochSecond());
        return credit;
    }

    /** A list answer: each entry wraps its resource under name. */
    public static String list(String name, List<ObjectNode> resources, String nextOffset) {
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode entries = answer.putArray("list");
        resources.forEach(r -> {
            ObjectNode entry = entries.addObject();
            entry.set(name, r);
            if ("subscription".equals(name)) {
                entry.set("customer", customer(r.path("customer_id").asText(), null));
            }
        });
        if (nextOffset != null) {
            answer.put("next_offset", nextOffset);
        }
        return answer.toString();
    }

    static String wrapped(String name, ObjectNode resource) {
        ObjectNode answer = JSON.createObjectNode();
        answer.set(name, resource);
        return answer.toString();
    }

    public static String error(int status, String type, String code, String message) {
        ObjectNode error = JSON.createObjectNode();
        error.put("message", message);
        error.put("type", type);
        error.put("api_error_code", code);
        error.put("http_status_code", status);
        return error.toString();
    }

    // Stubs

    /** Unknown customers and subscriptions: Chargebee's 404; filters matching nothing: an empty list. */
    private void stubDefaults() {
        server.stubFor(get(urlPathMatching("/api/v2/(customers|subscriptions)/[^/]+")).atPriority(10)
                .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json")
                        .withBody(error(404, "invalid_request", "resource_not_found", "Sorry, we couldn't find that resource"))));
        for (String path : List.of("/api/v2/customers", "/api/v2/subscriptions", "/api/v2/promotional_credits")) {
            server.stubFor(get(urlPathEqualTo(path)).atPriority(10).willReturn(okJson("{\"list\":[]}")));
        }
    }

    public void stubCustomer(ObjectNode customer) {
        server.stubFor(get(urlPathEqualTo("/api/v2/customers/" + encoded(customer.path("id").asText())))
                .willReturn(okJson(wrapped("customer", customer))));
    }

    /** GET /api/v2/customers?{field}[is]={value} answers these customers. */
    public void stubCustomersWhere(String field, String value, ObjectNode... customers) {
        server.stubFor(get(urlPathEqualTo("/api/v2/customers")).withQueryParam(field + "[is]", equalTo(value))
                .willReturn(okJson(list("customer", List.of(customers), null))));
    }

    public void stubSubscriptions(String customerId, ObjectNode... subscriptions) {
        server.stubFor(get(urlPathEqualTo("/api/v2/subscriptions")).withQueryParam("customer_id[is]", equalTo(customerId))
                .willReturn(okJson(list("subscription", List.of(subscriptions), null))));
    }

    public void stubSubscription(ObjectNode subscription) {
        server.stubFor(get(urlPathEqualTo("/api/v2/subscriptions/" + encoded(subscription.path("id").asText())))
                .willReturn(okJson(wrapped("subscription", subscription))));
    }

    /** change_term_end on the subscription answers it as given. */
    public void stubChangeTermEnd(ObjectNode subscription) {
        server.stubFor(post(urlPathEqualTo(changeTermEndPath(subscription.path("id").asText())))
                .willReturn(okJson(wrapped("subscription", subscription))));
    }

    public void stubAddPromotionalCredits(String customerId, String currency) {
        ObjectNode answer = JSON.createObjectNode();
        answer.set("customer", customer(customerId, null));
        answer.set("promotional_credit", promotionalCredit("pc_" + customerId, customerId, 1, currency, null));
        server.stubFor(post(urlPathEqualTo("/api/v2/promotional_credits/add")).willReturn(okJson(answer.toString())));
    }

    public void stubPromotionalCredits(String customerId, ObjectNode... credits) {
        server.stubFor(get(urlPathEqualTo("/api/v2/promotional_credits")).withQueryParam("customer_id[is]", equalTo(customerId))
                .willReturn(okJson(list("promotional_credit", List.of(credits), null))));
    }

    public void stubError(String method, String path, int status, String code, String message) {
        var mapping = method.equals("POST") ? post(urlPathEqualTo(path)) : get(urlPathEqualTo(path));
        server.stubFor(mapping.willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(error(status, "invalid_request", code, message))));
    }

    /** A customer with one active monthly subscription in USD (term ending in 20 days) that takes grants. */
    public ObjectNode stubGrantableCustomer(String customerId, String subscriptionId, String email) {
        ObjectNode subscription = subscription(subscriptionId, customerId, "active",
                Instant.now().minus(Duration.ofDays(10)).getEpochSecond(),
                Instant.now().plus(Duration.ofDays(20)).getEpochSecond(), null, "USD");
        stubCustomer(customer(customerId, email));
        stubSubscriptions(customerId, subscription);
        stubSubscription(subscription);
        stubChangeTermEnd(subscription);
        stubAddPromotionalCredits(customerId, "USD");
        return subscription;
    }

    /**
     * The subscription as Chargebee shows it after it renewed: the next term starts where the last ended
     * and ends one billing period (billing_period months) later. A grant of as many months as the
     * period would have set the very same date.
     */
    public static ObjectNode renewed(ObjectNode subscription) {
        ObjectNode after = subscription.deepCopy();
        long end = subscription.path("current_term_end").asLong();
        long next = Instant.ofEpochSecond(end).atZone(java.time.ZoneOffset.UTC)
                .plusMonths(subscription.path("billing_period").asInt(1)).toEpochSecond();
        after.put("current_term_start", end);
        after.put("current_term_end", next);
        if (after.has("next_billing_at")) {
            after.put("next_billing_at", next);
        }
        return after;
    }

    /** The subscription renews: from now on it is read (alone and in its customer's list) as {@link #renewed}. */
    public ObjectNode renew(ObjectNode subscription) {
        ObjectNode after = renewed(subscription);
        stubSubscription(after);
        stubSubscriptions(after.path("customer_id").asText(), after);
        return after;
    }

    /** The subscription as the stand-in now answers it (GET, outside the bridge): what an operator would see. */
    public ObjectNode current(String subscriptionId) {
        try {
            java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/api/v2/subscriptions/"
                            + encoded(subscriptionId))).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return (ObjectNode) JSON.readTree(answer.body()).path("subscription");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String changeTermEndPath(String subscriptionId) {
        return "/api/v2/subscriptions/" + encoded(subscriptionId) + "/change_term_end";
    }

    private static String encoded(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Chargebee's idempotency: the first answer to a key is kept, and replayed for the same key and path. */
    static final class IdempotencyReplay implements ResponseTransformerV2 {

        private final Map<String, Response> stored = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> fresh = new ConcurrentHashMap<>();
        private final io.fulfilmentbridge.HeldWrites live;

        IdempotencyReplay(io.fulfilmentbridge.HeldWrites live) {
            this.live = live;
        }

        @Override
        public String getName() {
            return "chargebee-idempotency";
        }

        @Override
        public Response transform(Response response, ServeEvent serveEvent) {
            Request request = serveEvent.getRequest();
            String path = request.getUrl().split("\\?")[0];
            String key = request.getHeader("chargebee-idempotency-key");
            if (!RequestMethod.POST.equals(request.getMethod())) {
                return live.transform(response, serveEvent);
            }
            // A key whose request completed is answered its stored answer; one still being held is not
            // stored yet, and is carried out again (the stand-in keeps a key's answer once it is made).
            if (key == null || !stored.containsKey(path + " " + key)) {
                response = live.transform(response, serveEvent);
            }
            if (key == null) {
                if (response.getStatus() < 300) {
                    fresh.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                }
                return response;
            }
            Response first = stored.putIfAbsent(path + " " + key, response);
            if (first == null) {
                if (response.getStatus() == 409 || response.getStatus() == 429 || response.getStatus() >= 500) {
                    // Turned away (busy, rate-limited) or failed before it was processed: nothing to replay.
                    stored.remove(path + " " + key);
                } else if (response.getStatus() < 300) {
                    fresh.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                }
                return response;
            }
            // The stored answer, sent as this request's stub says (its delay or fault, if any).
            return Response.Builder.like(response).but().status(first.getStatus()).body(first.getBody())
                    .headers(first.getHeaders().plus(new HttpHeader("chargebee-idempotency-replayed", "true")))
                    .build();
        }
    }
}
