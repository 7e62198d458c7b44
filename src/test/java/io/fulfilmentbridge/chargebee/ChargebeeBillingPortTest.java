package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.changeTermEndPath;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.customer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.billing.BillingPortContract;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The billing port's promises kept by Chargebee: the term end moved with change_term_end under an idempotency key. */
class ChargebeeBillingPortTest extends BillingPortContract implements ChargebeeBridge, BillingPortContract.Fixture {

    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    @Override
    protected Fixture port() {
        return this;
    }

    private static ObjectNode subscription(long id, Instant paidUntil, Instant trialEnd) {
        return ChargebeeStandIn.subscription(subscriptionId(id), systemIdOf(id), trialEnd == null ? "active" : "in_trial", CREATED,
                paidUntil.getEpochSecond(), trialEnd == null ? null : trialEnd.getEpochSecond(), "USD");
    }

    private static ObjectNode moved(long id, Instant target) {
        return subscription(id, target, null);
    }

    private static String subscriptionId(long id) {
        return ChargebeeBridgeSupport.subscriptionId(id);
    }

    private static String systemIdOf(long id) {
        return ChargebeeBridgeSupport.customerId(id);
    }

    @Override
    public String systemId(long id) {
        return systemIdOf(id);
    }

    @Override
    public String appId(long id) {
        return "app-user-" + id;
    }

    @Override
    public String email(long id) {
        return "p" + id + "@example.org";
    }

    @Override
    public void stubCustomer(Lookup how, long id) {
        ObjectNode customer = customer(systemId(id), email(id));
        switch (how) {
            case SYSTEM_ID -> CHARGEBEE.stubCustomer(customer);
            case APP_ID -> CHARGEBEE.stubCustomersWhere("cf_app_customer_id", appId(id), customer.put("cf_app_customer_id", appId(id)));
            case EMAIL -> CHARGEBEE.stubCustomersWhere("email", email(id), customer);
        }
    }

    @Override
    public void stubCustomersWithEmail(long id, int count) {
        List<ObjectNode> customers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            customers.add(customer("c" + i + "_" + id, email(id)));
        }
        CHARGEBEE.stubCustomersWhere("email", email(id), customers.toArray(ObjectNode[]::new));
    }

    @Override
    public void stubSubscription(long id, Instant paidUntil, Instant trialEnd) {
        ObjectNode subscription = subscription(id, paidUntil, trialEnd);
        CHARGEBEE.stubSubscriptions(systemId(id), subscription);
        CHARGEBEE.stubSubscription(subscription);
        CHARGEBEE.stubChangeTermEnd(subscription);
    }

    @Override
    public void stubWriteFailsOnce(long id, Instant paidUntil, Instant target) {
        stubSubscription(id, paidUntil, null);
        String path = changeTermEndPath(subscriptionId(id));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("down").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(503).withHeader("Content-Type", "application/json")
                        .withBody(ChargebeeStandIn.error(503, "operation_failed", "internal_temporary_error", "try later")))
                .willSetStateTo("up"));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("down").whenScenarioStateIs("up")
                .willReturn(okJson("{\"subscription\":" + moved(id, target) + "}")));
    }

    @Override
    public void stubWriteAnswerLost(long id, Instant paidUntil, Instant target) {
        stubSubscription(id, paidUntil, null);
        String path = changeTermEndPath(subscriptionId(id));
        // Chargebee makes the change but answers after the bridge's read timeout (2 s); later sends answer at once.
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson("{\"subscription\":" + moved(id, target) + "}").withFixedDelay(3500)).willSetStateTo("changed"));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs("changed")
                .willReturn(okJson("{\"subscription\":" + moved(id, target) + "}")));
    }

    /** Within its window Chargebee answers the same key sent again with the answer it stored: a second send, one change. */
    @Override
    public int writesToSettleALostAnswer() {
        return 2;
    }

    @Override
    public void stubWriteRefused(long id, String message) {
        CHARGEBEE.stubError("POST", changeTermEndPath(subscriptionId(id)), 400, "invalid_state_for_request", message);
    }

    /** With the query, decoded: the filter, order and page size Chargebee was asked for. */
    @Override
    public List<String> calls() {
        return requests().stream().map(r -> r.getMethod() + " " + URLDecoder.decode(r.getUrl(), StandardCharsets.UTF_8)).toList();
    }

    @Override
    public List<LoggedRequest> requests() {
        return CHARGEBEE.server().findAll(anyRequestedFor(anyUrl()));
    }

    /** The key as Basic user name; an idempotency key only on a write. */
    @Override
    public void assertCredentials(LoggedRequest request) {
        assertThat(request.getHeader("Authorization")).isEqualTo(BASIC);
        if (request.getMethod().getName().equals("GET")) {
            assertThat(request.getHeader("chargebee-idempotency-key")).isNull();
        }
    }

    @Override
    public List<String> expectedCalls(Lookup how, long id) {
        String change = "POST " + changeTermEndPath(subscriptionId(id));
        String subscriptions = "GET /api/v2/subscriptions?customer_id[is]=" + systemId(id) + "&sort_by[desc]=created_at&limit=100";
        return switch (how) {
            case SYSTEM_ID -> List.of("GET /api/v2/customers/" + systemId(id), subscriptions, change);
            case APP_ID -> List.of("GET /api/v2/customers/" + appId(id),
                    "GET /api/v2/customers?cf_app_customer_id[is]=" + appId(id) + "&limit=10", subscriptions, change);
            case EMAIL -> List.of("GET /api/v2/customers?email[is]=" + email(id) + "&limit=10", subscriptions, change);
        };
    }

    @Override
    public List<LoggedRequest> writes() {
        return CHARGEBEE.server().findAll(postRequestedFor(anyUrl()));
    }

    @Override
    public List<LoggedRequest> grantWrites(long id) {
        return ChargebeeBridgeSupport.posts(changeTermEndPath(subscriptionId(id)));
    }

    @Override
    public void assertGrantWrite(LoggedRequest write, long id, Instant target) {
        ChargebeeBridgeSupport.assertWriteHeaders(write, "fulfilment-" + id);
        assertThat(form(write)).isEqualTo(Map.of("term_ends_at", Long.toString(target.getEpochSecond()), "prorate", "false",
                "invoice_immediately", "false"));
    }

    @Override
    public String proof(LoggedRequest write) {
        return write.getHeader("chargebee-idempotency-key");
    }

    @Override
    public String refusal(String message) {
        return "Chargebee refused (change term end, 400): " + message + " (invalid_state_for_request)";
    }

    /** The stand-in replays a key's stored answer as Chargebee does, and counts the changes it made. */
    @Override
    public void assertChangedOnce(long id) {
        assertThat(CHARGEBEE.effects(changeTermEndPath(subscriptionId(id)))).isEqualTo(1);
    }

    @Override
    public String noCustomerWithEmail() {
        return "no Chargebee customer with the promoter's email";
    }

    @Override
    public String severalCustomersWithEmail() {
        return "several Chargebee customers have the promoter's email";
    }

    @Override
    public List<String> secrets() {
        return List.of(CHARGEBEE_KEY, BASIC.substring("Basic ".length()));
    }
}
