package io.fulfilmentbridge.recurly;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.account;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.error;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.moved;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.write;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.billing.BillingPortContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The billing port's promises kept by Recurly: the next bill date moved with the grant's marker in a
 * custom field (Recurly documents no idempotency key), read back to settle a lost answer.
 */
class RecurlyBillingPortTest extends BillingPortContract implements RecurlyBridge, BillingPortContract.Fixture {

    @Override
    protected Fixture port() {
        return this;
    }

    private static String subscriptionId(long id) {
        return RecurlyBridgeSupport.subscriptionId(id);
    }

    private static String path(long id) {
        return "/subscriptions/" + subscriptionId(id);
    }

    private ObjectNode subscription(long id, Instant paidUntil, Instant trialEnd) {
        return RecurlyStandIn.subscription(subscriptionId(id), systemId(id), "active", in(Duration.ofDays(-40)), paidUntil, trialEnd,
                "USD");
    }

    private ObjectNode openAccount(long id) {
        return account(systemId(id), appId(id), email(id), "active");
    }

    @Override
    public String systemId(long id) {
        return RecurlyBridgeSupport.accountId(id);
    }

    /** The account's code. */
    @Override
    public String appId(long id) {
        return RecurlyBridgeSupport.appId(id);
    }

    @Override
    public String email(long id) {
        return RecurlyBridgeSupport.email(id);
    }

    @Override
    public void stubCustomer(Lookup how, long id) {
        RECURLY.stubAccount(openAccount(id));
        if (how == Lookup.EMAIL) {
            RECURLY.stubAccountsWithEmail(email(id), openAccount(id));
        }
    }

    @Override
    public void stubCustomersWithEmail(long id, int count) {
        List<ObjectNode> accounts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            accounts.add(account(systemId(id).substring(0, 11) + i, "code-" + i + "-" + id, email(id), "active"));
        }
        RECURLY.stubAccountsWithEmail(email(id), accounts.toArray(ObjectNode[]::new));
    }

    @Override
    public void stubSubscription(long id, Instant paidUntil, Instant trialEnd) {
        ObjectNode subscription = subscription(id, paidUntil, trialEnd);
        RECURLY.stubActiveSubscriptions(systemId(id), subscription);
        RECURLY.stubSubscriptionUpdate(subscriptionId(id), subscription);
    }

    @Override
    public void stubWriteFailsOnce(long id, Instant paidUntil, Instant target) {
        ObjectNode before = subscription(id, paidUntil, null);
        RECURLY.stubActiveSubscriptions(systemId(id), before);
        RECURLY.stubSubscription(before);
        RECURLY.server().stubFor(put(urlPathEqualTo(path(id))).inScenario("down").whenScenarioStateIs(STARTED)
                .willReturn(error(503, "service_not_available", "Recurly is down for maintenance")).willSetStateTo("up"));
        RECURLY.server().stubFor(put(urlPathEqualTo(path(id))).inScenario("down").whenScenarioStateIs("up")
                .willReturn(okJson(write(moved(before, target, MARKER_FIELD, "fulfilment-" + id)))));
    }

    @Override
    public void stubWriteAnswerLost(long id, Instant paidUntil, Instant target) {
        ObjectNode before = subscription(id, paidUntil, null);
        RECURLY.stubActiveSubscriptions(systemId(id), before);
        RECURLY.stubSubscription(before);
        // Recurly applies the update (next bill date and marker), and the connection drops before its answer.
        RECURLY.stubUpdateApplies(subscriptionId(id), moved(before, target, MARKER_FIELD, "fulfilment-" + id), true);
    }

    @Override
    public void stubWriteRefused(long id, String message) {
        RECURLY.server().stubFor(put(urlPathEqualTo(path(id))).willReturn(error(422, "validation", message)));
    }

    @Override
    public List<String> calls() {
        return RecurlyBridgeSupport.recurlyCalls();
    }

    @Override
    public List<String> expectedCalls(Lookup how, long id) {
        String subscriptions = "GET /accounts/" + systemId(id) + "/subscriptions?state=active&sort=created_at&order=desc&limit=200";
        String update = "PUT " + path(id);
        return switch (how) {
            case SYSTEM_ID -> List.of("GET /accounts/" + systemId(id), subscriptions, update);
            case APP_ID -> List.of("GET /accounts/code-" + appId(id), subscriptions, update);
            case EMAIL -> List.of("GET /accounts?email=" + email(id).replace("@", "%40") + "&limit=200", subscriptions, update);
        };
    }

    @Override
    public List<LoggedRequest> requests() {
        return RecurlyBridgeSupport.requests();
    }

    /** The version's Accept header, the key as Basic user, and no idempotency key (Recurly documents none). */
    @Override
    public void assertCredentials(LoggedRequest request) {
        RecurlyBridgeSupport.assertRecurlyHeaders(request);
    }

    @Override
    public List<LoggedRequest> writes() {
        return RecurlyBridgeSupport.requests().stream().filter(r -> !r.getMethod().getName().equals("GET")).toList();
    }

    @Override
    public List<LoggedRequest> grantWrites(long id) {
        return RecurlyBridgeSupport.requests("PUT", path(id));
    }

    @Override
    public void assertGrantWrite(LoggedRequest write, long id, Instant target) {
        RecurlyBridgeSupport.assertUpdate(write, id, target);
    }

    @Override
    public String proof(LoggedRequest write) {
        return RecurlyBridgeSupport.body(write).path("custom_fields").path(0).path("value").asText(null);
    }

    @Override
    public String refusal(String message) {
        return "Recurly refused to update subscription (422): " + message + " [validation]";
    }

    @Override
    public String noCustomerWithEmail() {
        return "no open Recurly account with the promoter's email";
    }

    @Override
    public String severalCustomersWithEmail() {
        return "several open Recurly accounts have the promoter's email";
    }

    @Override
    public List<String> secrets() {
        return List.of(RECURLY_KEY, Base64.getEncoder().encodeToString((RECURLY_KEY + ":").getBytes(StandardCharsets.UTF_8)));
    }
}
