package io.fulfilmentbridge.recurly;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.notContaining;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;

/**
 * A local stand-in for the part of Recurly's API v2021-02-25 the bridge calls, on WireMock, built
 * from Recurly's API reference: accounts read by id or as code-&lt;code&gt;, listed by exact email;
 * an account's subscriptions listed by state; a subscription read, and updated with next_bill_date;
 * credit line items created and listed. Like Recurly it answers 406 to a request without the
 * version's Accept header, 401 to one without the key as Basic auth user, and 404 with Recurly's error
 * body to anything not stubbed. The tests stub accounts and subscriptions and read back the exact
 * requests it received; the demo stubs one grantable customer ({@link #demo(RecurlyStandIn)}).
 */
public class RecurlyStandIn {

    public static final String ACCEPT = "application/vnd.recurly.v2021-02-25+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer server;
    private final String authorization;
    private final io.fulfilmentbridge.HeldWrites live = new io.fulfilmentbridge.HeldWrites("recurly-live");

    public RecurlyStandIn(int port, String apiKey) {
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((apiKey + ":").getBytes(StandardCharsets.UTF_8));
        server = new WireMockServer(options().port(port).bindAddress("127.0.0.1").extensions(live));
        server.start();
        reset();
    }

    /** The key the local demo gives the bridge (bridge.recurly.api-key) and its stand-in. */
    public static final String DEMO_KEY = "recurly-demo-key";

    /** The local demo's Recurly on this port, expecting {@link #DEMO_KEY}, with {@link #demo(RecurlyStandIn)}'s account. */
    public static RecurlyStandIn demo(int port) {
        RecurlyStandIn recurly = new RecurlyStandIn(port, DEMO_KEY);
        demo(recurly);
        return recurly;
    }

    /**
     * For the local demo: one grantable account, demoaccount1, whose code is the sample delivery's
     * cust_id (cus_Pq7Xb2LrT0aZ1c, the app's id) and whose email is its promoter's (jane@example.org),
     * with one active monthly USD subscription, demosubscrip, next billed in 20 days, accepting free
     * months and credits.
     */
    public static void demo(RecurlyStandIn recurly) {
        recurly.stubGrantableAccount("demoaccount1", "cus_Pq7Xb2LrT0aZ1c", "jane@example.org", "demosubscrip",
                Instant.now().plus(Duration.ofDays(20)));
    }

    public WireMockServer server() {
        return server;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public String authorization() {
        return authorization;
    }

    /** Forgets stubs and requests; keeps Recurly's answers to what no stub names (406, 401, 404). */
    public void reset() {
        live.clear();
        server.resetAll();
        server.stubFor(any(anyUrl()).atPriority(10).willReturn(error(404, "not_found", "Couldn't find the resource")));
        server.stubFor(any(anyUrl()).atPriority(1).withHeader("Accept", notContaining("application/vnd.recurly.v2021-02-25"))
                .willReturn(error(406, "invalid_api_version", "That accept header isn't in the format we use to specify an API version.")));
        server.stubFor(any(anyUrl()).atPriority(2).withHeader("Authorization", WireMock.notMatching(java.util.regex.Pattern.quote(authorization)))
                .willReturn(error(401, "unauthorized", "Invalid API key")));
    }

    public void stop() {
        server.stop();
    }

    // Recurly's resources, as the reference shows them (only the fields the bridge reads, and a few more).

    public static ObjectNode account(String id, String code, String email, String state) {
        ObjectNode account = JSON.createObjectNode();
        account.put("id", id).put("object", "account").put("code", code).put("email", email).put("state", state);
        account.putNull("deleted_at");
        account.put("created_at", "2025-01-01T00:00:00Z");
        return account;
    }

    public static ObjectNode subscription(String id, String accountId, String state, Instant createdAt, Instant periodEnd,
                                          Instant trialEnd, String currency) {
        ObjectNode subscription = JSON.createObjectNode();
        subscription.put("id", id).put("object", "subscription").put("uuid", "uuid" + id).put("state", state);
        subscription.putObject("account").put("id", accountId).put("object", "account_mini");
        subscription.putObject("plan").put("code", "monthly").put("object", "plan_mini");
        subscription.put("currency", currency);
        subscription.put("created_at", iso(createdAt));
        subscription.put("current_period_started_at", iso(periodEnd.minus(Duration.ofDays(30))));
        subscription.put("current_period_ends_at", iso(periodEnd));
        if (trialEnd != null) {
            subscription.put("trial_started_at", iso(createdAt));
            subscription.put("trial_ends_at", iso(trialEnd));
        } else {
            subscription.putNull("trial_started_at");
            subscription.putNull("trial_ends_at");
        }
        subscription.put("auto_renew", true);
        subscription.putArray("custom_fields");
        return subscription;
    }

    /** The subscription as Recurly shows it after a grant's update: the next bill date moved, the marker written. */
    public static ObjectNode moved(ObjectNode subscription, Instant nextBillDate, String markerField, String marker) {
        ObjectNode after = subscription.deepCopy();
        after.put("current_period_ends_at", iso(nextBillDate));
        if (after.hasNonNull("trial_ends_at")) {
            after.put("trial_ends_at", iso(nextBillDate));
        }
        if (marker != null) {
            ((ArrayNode) after.get("custom_fields")).addObject().put("name", markerField).put("value", marker);
        }
        return after;
    }

    public static ObjectNode creditLineItem(String id, String accountId, String currency, String unitAmount,
                                            String description, Instant createdAt) {
        ObjectNode item = JSON.createObjectNode();
        item.put("id", id).put("object", "line_item").put("type", "credit").put("state", "pending");
        item.putObject("account").put("id", accountId).put("object", "account_mini");
        item.put("currency", currency).put("unit_amount", new java.math.BigDecimal(unitAmount).negate())
                .put("quantity", 1).put("description", description).put("created_at", iso(createdAt));
        return item;
    }

    /** Recurly's list: {object: list, has_more, next, data}. */
    public static String list(List<ObjectNode> items) {
        ObjectNode list = JSON.createObjectNode();
        list.put("object", "list").put("has_more", false).putNull("next");
        list.putArray("data").addAll(items);
        return write(list);
    }

    public static String iso(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Recurly's error body: {"error": {"type", "message", "params"}}. */
    public static ResponseDefinitionBuilder error(int status, String type, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("type", type).put("message", message).putArray("params");
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json; charset=utf-8")
                .withHeader("Recurly-Version", "recurly.v2021-02-25").withBody(write(body));
    }

    /** The accounts' credits that change when created, and how creating them is held. */
    public io.fulfilmentbridge.HeldWrites live() {
        return live;
    }

    /**
     * The account's credits kept as Recurly keeps them: listing them answers those created so far, and
     * POST /accounts/{id}/line_items adds one (its currency, unit amount and description) when applied.
     */
    public List<ObjectNode> liveCredits(String accountId) {
        List<ObjectNode> credits = new java.util.concurrent.CopyOnWriteArrayList<>();
        String path = "/accounts/" + accountId + "/line_items";
        live.onRead(path, () -> list(credits));
        live.onWrite("POST", path, request -> {
            try {
                com.fasterxml.jackson.databind.JsonNode body = JSON.readTree(request.getBodyAsString());
                ObjectNode credit = creditLineItem("lineitem" + (1000 + credits.size()), accountId,
                        body.path("currency").asText(), body.path("unit_amount").asText(),
                        body.path("description").asText(), Instant.now());
                credits.add(credit);
                return write(credit);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        });
        return credits;
    }

    // Stubs.

    /** GET /accounts/{id} and GET /accounts/code-{code}. */
    public void stubAccount(ObjectNode account) {
        String body = write(account);
        server.stubFor(get(urlPathEqualTo("/accounts/" + account.get("id").asText())).willReturn(okJson(body)));
        server.stubFor(get(urlPathEqualTo("/accounts/code-" + account.get("code").asText())).willReturn(okJson(body)));
    }

    /** GET /accounts?email= answering these accounts. */
    public void stubAccountsWithEmail(String email, ObjectNode... accounts) {
        server.stubFor(get(urlPathEqualTo("/accounts")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(list(List.of(accounts)))));
    }

    /** GET /accounts/{id}/subscriptions?state=active answering these. */
    public void stubActiveSubscriptions(String accountId, ObjectNode... subscriptions) {
        server.stubFor(get(urlPathEqualTo("/accounts/" + accountId + "/subscriptions")).withQueryParam("state", equalTo("active"))
                .willReturn(okJson(list(List.of(subscriptions)))));
    }

    public void stubSubscription(ObjectNode subscription) {
        server.stubFor(get(urlPathEqualTo("/subscriptions/" + subscription.get("id").asText()))
                .willReturn(okJson(write(subscription))));
    }

    /** PUT /subscriptions/{id} answering the subscription as given. */
    public void stubSubscriptionUpdate(String subscriptionId, ObjectNode answer) {
        server.stubFor(put(urlPathEqualTo("/subscriptions/" + subscriptionId)).willReturn(okJson(write(answer))));
    }

    /** POST /accounts/{id}/line_items answering 201 with a credit. */
    public void stubCreditCreate(String accountId) {
        server.stubFor(post(urlPathEqualTo("/accounts/" + accountId + "/line_items")).willReturn(
                okJson(write(creditLineItem("lineitem0001", accountId, "USD", "1", "credit", Instant.now()))).withStatus(201)));
    }

    /** GET /accounts/{id}/line_items answering these credits. */
    public void stubCredits(String accountId, ObjectNode... credits) {
        server.stubFor(get(urlPathEqualTo("/accounts/" + accountId + "/line_items"))
                .willReturn(okJson(list(List.of(credits)))));
    }

    /**
     * The subscription as Recurly shows it after it renewed on its monthly plan: the next period starts
     * where the last ended and ends a month later (what a grant of 1 month would also have set).
     */
    public static ObjectNode renewed(ObjectNode subscription) {
        ObjectNode after = subscription.deepCopy();
        Instant end = Instant.parse(subscription.path("current_period_ends_at").asText());
        after.put("current_period_started_at", iso(end));
        after.put("current_period_ends_at", iso(end.atZone(java.time.ZoneOffset.UTC).plusMonths(1).toInstant()));
        return after;
    }

    /** The subscription renews: from now on it is read (alone and in its account's list) as {@link #renewed}. */
    public ObjectNode renew(ObjectNode subscription) {
        ObjectNode after = renewed(subscription);
        stubSubscription(after);
        stubActiveSubscriptions(after.path("account").path("id").asText(), after);
        return after;
    }

    /** PUT /subscriptions/{id} answers 503 and changes nothing. */
    public void stubUpdateUnavailable(String subscriptionId) {
        server.stubFor(put(urlPathEqualTo("/subscriptions/" + subscriptionId))
                .willReturn(error(503, "service_not_available", "Recurly is down for maintenance")));
    }

    /**
     * PUT /subscriptions/{id} takes effect: the subscription is read as after from then on. With
     * dropAnswer, the connection is reset before the answer reaches the bridge.
     */
    public void stubUpdateApplies(String subscriptionId, ObjectNode after, boolean dropAnswer) {
        String path = "/subscriptions/" + subscriptionId;
        String scenario = "update of " + subscriptionId;
        server.stubFor(put(urlPathEqualTo(path)).inScenario(scenario)
                .willReturn(dropAnswer ? aResponse().withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)
                        : okJson(write(after)))
                .willSetStateTo("applied"));
        server.stubFor(get(urlPathEqualTo(path)).inScenario(scenario).whenScenarioStateIs("applied")
                .willReturn(okJson(write(after))));
    }

    /** The subscription as the stand-in now answers it (GET, outside the bridge): what an operator would see. */
    public ObjectNode current(String subscriptionId) {
        try {
            java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/subscriptions/" + subscriptionId))
                            .header("Authorization", authorization).header("Accept", ACCEPT).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return (ObjectNode) JSON.readTree(answer.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * An open account (by id and code) with one active monthly USD subscription whose next bill is at
     * periodEnd, that accepts free months and credits: the usual happy path.
     */
    public ObjectNode stubGrantableAccount(String accountId, String code, String email, String subscriptionId,
                                           Instant periodEnd) {
        ObjectNode subscription = subscription(subscriptionId, accountId, "active",
                Instant.now().minus(Duration.ofDays(40)), periodEnd, null, "USD");
        stubAccount(account(accountId, code, email, "active"));
        stubAccountsWithEmail(email, account(accountId, code, email, "active"));
        stubActiveSubscriptions(accountId, subscription);
        stubSubscription(subscription);
        stubSubscriptionUpdate(subscriptionId, subscription);
        stubCreditCreate(accountId);
        stubCredits(accountId);
        return subscription;
    }
}
