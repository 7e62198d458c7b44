package io.fulfilmentbridge.paddle;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.request;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import io.fulfilmentbridge.HeldWrites;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A local stand-in for the part of Paddle Billing's API the bridge calls, on WireMock, shaped as the API
 * reference gives it (developer.paddle.com/api-reference): entities under "data" with a "meta" holding
 * request_id (and pagination for lists), errors as {"error": {type, code, detail, documentation_url}}.
 * The tests stub customers and subscriptions on it and read back the exact requests it received.
 */
public class PaddleStandIn {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer server;
    private final HeldWrites live = new HeldWrites("paddle-live");

    public PaddleStandIn(int port) {
        server = new WireMockServer(options().port(port).bindAddress("127.0.0.1").extensions(live));
        server.start();
    }

    /** The subscriptions that change when updated, and how updates to them are held. */
    public HeldWrites live() {
        return live;
    }

    /**
     * One subscription kept as Paddle keeps it: GET and the customer's list answer it as it is now, and
     * an update sets its next_billed_at and custom_data when it is applied (after any hold). Every
     * next_billed_at it had, in order, is added to history.
     */
    public ObjectNode liveSubscription(ObjectNode subscription, List<Instant> history) {
        String id = subscription.get("id").asText();
        String customerId = subscription.get("customer_id").asText();
        stubGrantableCustomer(customerId, subscription);
        history.add(Instant.parse(subscription.get("next_billed_at").asText()));
        live.onRead("/subscriptions/" + id, () -> {
            synchronized (subscription) {
                return entity(subscription.deepCopy());
            }
        });
        live.onRead("/subscriptions", () -> {
            synchronized (subscription) {
                return list("/subscriptions", List.of(subscription.deepCopy()));
            }
        });
        live.onWrite("PATCH", "/subscriptions/" + id, request -> {
            try {
                JsonNode update = JSON.readTree(request.getBodyAsString());
                synchronized (subscription) {
                    subscription.put("next_billed_at", update.get("next_billed_at").asText());
                    if (update.has("custom_data")) {
                        subscription.set("custom_data", update.get("custom_data"));
                    }
                    history.add(Instant.parse(update.get("next_billed_at").asText()));
                    return entity(subscription.deepCopy());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return subscription;
    }

    private void stubGrantableCustomer(String customerId, ObjectNode subscription) {
        String email = "live-" + customerId + "@example.org";
        stubCustomer(customer(customerId, email, null));
        stubSubscriptions(customerId, subscription);
        stubSubscription(subscription);
        stubUpdate(subscription);
    }

    public WireMockServer server() {
        return server;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public void reset() {
        server.resetAll();
        live.clear();
    }

    public void stop() {
        server.stop();
    }

    /** A customer entity (GET /customers/{id}, list customers). */
    public static ObjectNode customer(String id, String email, Map<String, String> customData) {
        ObjectNode customer = JSON.createObjectNode();
        customer.put("id", id);
        customer.putNull("name");
        customer.put("email", email);
        customer.put("marketing_consent", false);
        customer.put("status", "active");
        if (customData == null) {
            customer.putNull("custom_data");
        } else {
            customer.set("custom_data", JSON.valueToTree(customData));
        }
        customer.put("locale", "en");
        customer.put("created_at", "2024-04-11T15:57:24.813Z");
        customer.put("updated_at", "2024-04-11T15:59:56.658719Z");
        customer.putNull("import_meta");
        return customer;
    }

    /**
     * A subscription entity (GET /subscriptions/{id}, list subscriptions, the answer to PATCH), billing
     * monthly, its current period ending when it next bills.
     */
    public static ObjectNode subscription(String id, String customerId, String status, Instant createdAt,
                                          Instant nextBilledAt, Map<String, String> customData) {
        ObjectNode subscription = JSON.createObjectNode();
        subscription.put("id", id);
        subscription.put("status", status);
        subscription.put("customer_id", customerId);
        subscription.put("address_id", "add_01hv8gq3318ktkfengj2r75gfx");
        subscription.putNull("business_id");
        subscription.put("currency_code", "USD");
        subscription.put("created_at", createdAt.toString());
        subscription.put("updated_at", createdAt.toString());
        subscription.put("started_at", createdAt.toString());
        // A trialing subscription has not been billed yet.
        subscription.put("first_billed_at", "trialing".equals(status) ? null : createdAt.toString());
        subscription.put("next_billed_at", nextBilledAt == null ? null : nextBilledAt.toString());
        subscription.putNull("paused_at");
        subscription.putNull("canceled_at");
        subscription.putNull("discount");
        subscription.put("collection_mode", "automatic");
        subscription.putNull("billing_details");
        ObjectNode period = subscription.putObject("current_billing_period");
        if (nextBilledAt != null) {
            period.put("starts_at", nextBilledAt.minus(Duration.ofDays(30)).toString());
            period.put("ends_at", nextBilledAt.toString());
        }
        ObjectNode cycle = subscription.putObject("billing_cycle");
        cycle.put("frequency", 1);
        cycle.put("interval", "month");
        subscription.putNull("scheduled_change");
        ArrayNode items = subscription.putArray("items");
        ObjectNode item = items.addObject();
        item.put("status", "active");
        item.put("quantity", 1);
        item.put("recurring", true);
        item.putObject("price").put("id", "pri_01gsz8x8sawmvhz1pv30nge1ke");
        if (customData == null) {
            subscription.putNull("custom_data");
        } else {
            subscription.set("custom_data", JSON.valueToTree(customData));
        }
        subscription.putNull("import_meta");
        return subscription;
    }

    /** One entity's answer: {"data": ..., "meta": {"request_id": ...}}. */
    public static String entity(ObjectNode data) {
        ObjectNode answer = JSON.createObjectNode();
        answer.set("data", data);
        answer.putObject("meta").put("request_id", UUID.randomUUID().toString());
        return write(answer);
    }

    /** A list's answer, all on one page. */
    public static String list(String path, List<ObjectNode> data) {
        ObjectNode answer = JSON.createObjectNode();
        answer.putArray("data").addAll(data);
        ObjectNode meta = answer.putObject("meta");
        meta.put("request_id", UUID.randomUUID().toString());
        ObjectNode pagination = meta.putObject("pagination");
        pagination.put("per_page", 200);
        pagination.put("next", "https://api.paddle.com" + path + "?after="
                + (data.isEmpty() ? "" : data.get(data.size() - 1).get("id").asText()));
        pagination.put("has_more", false);
        pagination.put("estimated_total", data.size());
        return write(answer);
    }

    /** Paddle's error object, with its status. */
    public static ResponseDefinitionBuilder error(int status, String type, String code, String detail) {
        ObjectNode answer = JSON.createObjectNode();
        ObjectNode error = answer.putObject("error");
        error.put("type", type);
        error.put("code", code);
        error.put("detail", detail);
        error.put("documentation_url", "https://developer.paddle.com/errors/shared/" + code);
        answer.putObject("meta").put("request_id", UUID.randomUUID().toString());
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(write(answer));
    }

    /** GET /customers/{id}. */
    public void stubCustomer(ObjectNode customer) {
        server.stubFor(get(urlPathEqualTo("/customers/" + customer.get("id").asText())).willReturn(okJson(entity(customer))));
    }

    /** GET /customers?email=...: the customers with exactly this email. */
    public void stubCustomersWithEmail(String email, ObjectNode... customers) {
        server.stubFor(get(urlPathEqualTo("/customers")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(list("/customers", List.of(customers)))));
    }

    /** GET /subscriptions?customer_id=...&status=active,trialing,past_due. */
    public void stubSubscriptions(String customerId, ObjectNode... subscriptions) {
        server.stubFor(get(urlPathEqualTo("/subscriptions")).withQueryParam("customer_id", equalTo(customerId))
                .withQueryParam("status", equalTo("active,trialing,past_due"))
                .willReturn(okJson(list("/subscriptions", List.of(subscriptions)))));
    }

    /** GET /subscriptions/{id}. */
    public void stubSubscription(ObjectNode subscription) {
        server.stubFor(get(urlPathEqualTo("/subscriptions/" + subscription.get("id").asText()))
                .willReturn(okJson(entity(subscription))));
    }

    /** PATCH /subscriptions/{id}, answered with the subscription as given. */
    public void stubUpdate(ObjectNode answer) {
        server.stubFor(patch(urlPathEqualTo("/subscriptions/" + answer.get("id").asText())).willReturn(okJson(entity(answer))));
    }

    public void stubError(String method, String path, int status, String code, String detail) {
        server.stubFor(request(method, urlPathEqualTo(path))
                .willReturn(error(status, status >= 500 ? "api_error" : "request_error", code, detail)));
    }

    /**
     * The subscription one billing interval (its monthly cycle: 1 month) later: next_billed_at and the
     * current period moved, nothing else. A renewal gives this date, and so does someone extending a
     * trialing subscription's trial by a month in Paddle's dashboard: either way the date a grant of 1
     * month would also have set.
     */
    public static ObjectNode oneIntervalLater(ObjectNode subscription) {
        ObjectNode after = subscription.deepCopy();
        Instant next = Instant.parse(subscription.path("next_billed_at").asText());
        Instant later = next.atZone(java.time.ZoneOffset.UTC).plusMonths(1).toInstant();
        after.put("next_billed_at", later.toString());
        ObjectNode period = (ObjectNode) after.path("current_billing_period");
        period.put("starts_at", subscription.path("status").asText().equals("trialing")
                ? subscription.path("current_billing_period").path("starts_at").asText() : next.toString());
        period.put("ends_at", later.toString());
        return after;
    }

    /** From now on the subscription is read (alone and in its customer's list) as given. */
    public void becomes(ObjectNode subscription) {
        stubSubscription(subscription);
        stubSubscriptions(subscription.path("customer_id").asText(), subscription);
    }

    /** PATCH /subscriptions/{id} answers 503 and changes nothing. */
    public void stubUpdateUnavailable(String subscriptionId) {
        stubError("PATCH", "/subscriptions/" + subscriptionId, 503, "internal_error", "Service unavailable");
    }

    /**
     * PATCH /subscriptions/{id} takes effect: the subscription is read as after from then on. With
     * dropAnswer, the connection is reset before the answer reaches the bridge.
     */
    public void stubUpdateApplies(ObjectNode after, boolean dropAnswer) {
        String path = "/subscriptions/" + after.get("id").asText();
        String scenario = "update of " + path;
        server.stubFor(patch(urlPathEqualTo(path)).inScenario(scenario)
                .willReturn(dropAnswer ? aResponse().withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)
                        : okJson(entity(after)))
                .willSetStateTo("applied"));
        server.stubFor(get(urlPathEqualTo(path)).inScenario(scenario).whenScenarioStateIs("applied")
                .willReturn(okJson(entity(after))));
    }

    /** The subscription as the stand-in now answers it (GET, outside the bridge): what an operator would see. */
    public ObjectNode current(String subscriptionId) {
        try {
            java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/subscriptions/" + subscriptionId))
                            .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return (ObjectNode) JSON.readTree(answer.body()).path("data");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A customer found by id with one active subscription that takes the grant. */
    public void stubGrantable(String customerId, String subscriptionId, String email, Instant nextBilledAt) {
        stubCustomer(customer(customerId, email, null));
        stubCustomersWithEmail(email, customer(customerId, email, null));
        ObjectNode subscription = subscription(subscriptionId, customerId, "active",
                Instant.parse("2024-04-12T10:18:47.635628Z"), nextBilledAt, Map.of());
        stubSubscriptions(customerId, subscription);
        stubSubscription(subscription);
        stubUpdate(subscription);
    }

    /**
     * For the local demo: one grantable customer, ctm_01hv6y1jedq4p1n0yqn5ba3ky4 (email
     * demo@example.org, custom_data app_user_id demo-user), its subscription billing in 20 days.
     */
    public static void demo(PaddleStandIn paddle) {
        String customerId = "ctm_01hv6y1jedq4p1n0yqn5ba3ky4";
        ObjectNode customer = customer(customerId, "demo@example.org", Map.of("app_user_id", "demo-user"));
        paddle.stubCustomer(customer);
        paddle.stubCustomersWithEmail("demo@example.org", customer);
        ObjectNode subscription = subscription("sub_01hv8y5ehszzq0yv20ttx3166y", customerId, "active",
                Instant.parse("2024-04-12T10:18:47.635628Z"), Instant.now().plus(Duration.ofDays(20)), Map.of());
        paddle.stubSubscriptions(customerId, subscription);
        paddle.stubSubscription(subscription);
        paddle.stubUpdate(subscription);
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
