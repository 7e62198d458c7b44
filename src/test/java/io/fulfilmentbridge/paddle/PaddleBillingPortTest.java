package io.fulfilmentbridge.paddle;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.paddle.PaddleBridgeSupport.expectedUpdate;
import static io.fulfilmentbridge.paddle.PaddleBridgeSupport.marked;
import static io.fulfilmentbridge.paddle.PaddleStandIn.customer;
import static io.fulfilmentbridge.paddle.PaddleStandIn.entity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.billing.BillingPortContract;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The billing port's promises kept by Paddle Billing: next_billed_at moved without billing, the grant's
 * marker merged into custom_data (Paddle documents no idempotency key), read back to settle a lost answer.
 */
class PaddleBillingPortTest extends BillingPortContract implements PaddleBridge, BillingPortContract.Fixture {

    private static final Instant CREATED = Instant.parse("2024-04-12T10:18:47.635628Z");

    /** Trialing subscriptions: Paddle takes no custom_data on them, so their update carries no marker. */
    private final Set<Long> trialing = new HashSet<>();

    @Override
    protected Fixture port() {
        return this;
    }

    private static String subscriptionId(long id) {
        return PaddleBridgeSupport.subscriptionId(id);
    }

    private ObjectNode active(long id, Instant nextBilledAt, Map<String, String> customData) {
        return PaddleStandIn.subscription(subscriptionId(id), systemId(id), "active", CREATED, nextBilledAt, customData);
    }

    private void stubRead(ObjectNode subscription, long id) {
        PADDLE.stubSubscriptions(systemId(id), subscription);
        PADDLE.stubSubscription(subscription);
    }

    @Override
    public String systemId(long id) {
        return PaddleBridgeSupport.customerId(id);
    }

    /** The app's id in the customer's custom_data, found among the customers with the promoter's email. */
    @Override
    public String appId(long id) {
        return "app-user-" + id;
    }

    @Override
    public String email(long id) {
        return PaddleBridgeSupport.email(id);
    }

    @Override
    public void stubCustomer(Lookup how, long id) {
        switch (how) {
            case SYSTEM_ID -> PADDLE.stubCustomer(customer(systemId(id), email(id), null));
            case APP_ID -> PADDLE.stubCustomersWithEmail(email(id),
                    customer("ctm_other" + id, email(id), Map.of("app_user_id", "someone-else")),
                    customer(systemId(id), email(id), Map.of("app_user_id", appId(id))));
            case EMAIL -> PADDLE.stubCustomersWithEmail(email(id), customer(systemId(id), email(id), null));
        }
    }

    @Override
    public void stubCustomersWithEmail(long id, int count) {
        List<ObjectNode> customers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            customers.add(customer("ctm_" + i + "t" + id, email(id), null));
        }
        PADDLE.stubCustomersWithEmail(email(id), customers.toArray(ObjectNode[]::new));
    }

    /** Paddle keeps one date: a trialing subscription bills next when its trial ends, so it bills at the later of the two. */
    @Override
    public void stubSubscription(long id, Instant paidUntil, Instant trialEnd) {
        ObjectNode subscription;
        if (trialEnd == null) {
            subscription = active(id, paidUntil, null);
        } else {
            trialing.add(id);
            Instant nextBilledAt = trialEnd.isAfter(paidUntil) ? trialEnd : paidUntil;
            subscription = PaddleStandIn.subscription(subscriptionId(id), systemId(id), "trialing", CREATED, nextBilledAt, null);
        }
        stubRead(subscription, id);
        PADDLE.stubUpdate(subscription);
    }

    @Override
    public void stubWriteFailsOnce(long id, Instant paidUntil, Instant target) {
        stubRead(active(id, paidUntil, null), id);
        String path = "/subscriptions/" + subscriptionId(id);
        PADDLE.server().stubFor(patch(urlPathEqualTo(path)).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(PaddleStandIn.error(503, "api_error", "internal_error", "Service unavailable")).willSetStateTo("up"));
        PADDLE.server().stubFor(patch(urlPathEqualTo(path)).inScenario("busy").whenScenarioStateIs("up")
                .willReturn(okJson(entity(active(id, target, marked(id, Map.of()))))));
    }

    @Override
    public void stubWriteAnswerLost(long id, Instant paidUntil, Instant target) {
        stubRead(active(id, paidUntil, null), id);
        // Paddle applies the update (date and marker); the connection drops before its answer.
        PADDLE.stubUpdateApplies(active(id, target, marked(id, Map.of())), true);
    }

    @Override
    public void stubWriteRefused(long id, String message) {
        PADDLE.stubError("PATCH", "/subscriptions/" + subscriptionId(id), 400, "subscription_locked_pending_changes", message);
    }

    /** With the query, decoded: the filter Paddle was asked for. */
    @Override
    public List<String> calls() {
        return requests().stream().map(r -> r.getMethod() + " " + URLDecoder.decode(r.getUrl(), StandardCharsets.UTF_8)).toList();
    }

    @Override
    public List<LoggedRequest> requests() {
        return PADDLE.server().findAll(anyRequestedFor(anyUrl()));
    }

    /** The key as a bearer token, the API version, JSON. */
    @Override
    public void assertCredentials(LoggedRequest request) {
        PaddleBridgeSupport.assertPaddleHeaders(request);
    }

    @Override
    public List<String> expectedCalls(Lookup how, long id) {
        String update = "PATCH /subscriptions/" + subscriptionId(id);
        String subscriptions = "GET /subscriptions?customer_id=" + systemId(id) + "&status=active,trialing,past_due&per_page=200";
        return switch (how) {
            case SYSTEM_ID -> List.of("GET /customers/" + systemId(id), subscriptions, update);
            case APP_ID, EMAIL -> List.of("GET /customers?email=" + email(id) + "&per_page=200", subscriptions, update);
        };
    }

    @Override
    public List<LoggedRequest> writes() {
        return PADDLE.server().findAll(patchRequestedFor(anyUrl()));
    }

    @Override
    public List<LoggedRequest> grantWrites(long id) {
        return PaddleBridgeSupport.updates(id);
    }

    @Override
    public void assertGrantWrite(LoggedRequest write, long id, Instant target) {
        PaddleBridgeSupport.assertUpdate(write, expectedUpdate(target, trialing.contains(id) ? null : marked(id, Map.of())));
    }

    @Override
    public String proof(LoggedRequest write) {
        return PaddleBridgeSupport.body(write).path("custom_data").path("firstpromoter_grant").asText(null);
    }

    @Override
    public String refusal(String message) {
        return "Paddle refused (update subscription, 400): " + message + " [subscription_locked_pending_changes]";
    }

    @Override
    public String noCustomerWithEmail() {
        return "no Paddle customer with the promoter's email";
    }

    @Override
    public String severalCustomersWithEmail() {
        return "several Paddle customers have the promoter's email";
    }

    @Override
    public List<String> secrets() {
        return List.of(PADDLE_KEY);
    }
}
