package io.fulfilmentbridge.stripe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.StripeStandIn.customer;
import static io.fulfilmentbridge.StripeStandIn.item;
import static io.fulfilmentbridge.StripeStandIn.list;
import static io.fulfilmentbridge.StripeStandIn.marked;
import static io.fulfilmentbridge.StripeStandIn.searchResult;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.StripeStandIn;
import io.fulfilmentbridge.billing.BillingPortContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The billing port's promises kept by Stripe (the default system): free months as a trial extended to
 * the target, under an idempotency key, with the grant's marker in the subscription's metadata.
 */
class StripeBillingPortTest extends BillingPortContract implements BillingPortContract.Fixture {

    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    @Override
    protected Fixture port() {
        return this;
    }

    private static String subscriptionId(long id) {
        return StripeBridgeSupport.subscriptionId(id);
    }

    private static String path(long id) {
        return "/v1/subscriptions/" + subscriptionId(id);
    }

    private String subscription(long id, String status, Instant trialEnd, Instant paidUntil) {
        return StripeStandIn.subscription(subscriptionId(id), systemId(id), status, CREATED,
                trialEnd == null ? null : trialEnd.getEpochSecond(),
                List.of(item("T" + id, 1500, 1, "usd", "month", 1, paidUntil.getEpochSecond())));
    }

    @Override
    public String systemId(long id) {
        return StripeBridgeSupport.customerId(id);
    }

    /** The app's id in the customer's metadata (app_user_id), found by Stripe's search. */
    @Override
    public String appId(long id) {
        return "user-" + id;
    }

    @Override
    public String email(long id) {
        return "p" + id + "@example.org";
    }

    @Override
    public void stubCustomer(Lookup how, long id) {
        switch (how) {
            case SYSTEM_ID -> STRIPE.stubCustomer(systemId(id));
            case APP_ID -> STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/search"))
                    .withQueryParam("query", equalTo("metadata['app_user_id']:'" + appId(id) + "'"))
                    .willReturn(okJson(searchResult(List.of(customer(systemId(id)))))));
            case EMAIL -> STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email(id)))
                    .willReturn(okJson(list("/v1/customers", List.of(customer(systemId(id)))))));
        }
    }

    @Override
    public void stubCustomersWithEmail(long id, int count) {
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            customers.add(customer("cus_" + i + "T" + id));
        }
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email(id)))
                .willReturn(okJson(list("/v1/customers", customers))));
    }

    @Override
    public void stubSubscription(long id, Instant paidUntil, Instant trialEnd) {
        String subscription = subscription(id, trialEnd == null ? "active" : "trialing", trialEnd, paidUntil);
        STRIPE.stubSubscriptions(systemId(id), subscription);
        STRIPE.stubSubscriptionUpdate(subscriptionId(id), subscription);
    }

    @Override
    public void stubWriteFailsOnce(long id, Instant paidUntil, Instant target) {
        String before = subscription(id, "active", null, paidUntil);
        STRIPE.stubSubscriptions(systemId(id), before);
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path(id))).inScenario("down").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(503).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"type\":\"api_error\",\"message\":\"try later\"}}"))
                .willSetStateTo("up"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path(id))).inScenario("down").whenScenarioStateIs("up")
                .willReturn(okJson(marked(subscription(id, "trialing", target, paidUntil), id))));
        STRIPE.server().stubFor(get(urlPathEqualTo(path(id))).willReturn(okJson(before)));
    }

    @Override
    public void stubWriteAnswerLost(long id, Instant paidUntil, Instant target) {
        String before = subscription(id, "active", null, paidUntil);
        String after = marked(subscription(id, "trialing", target, paidUntil), id);
        STRIPE.stubSubscriptions(systemId(id), before);
        // Stripe applies the update (its marker included), but answers after the bridge's read timeout (2 s).
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson(after).withFixedDelay(3500)).willSetStateTo("applied"));
        STRIPE.server().stubFor(get(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson(before)));
        STRIPE.server().stubFor(get(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs("applied")
                .willReturn(okJson(after)));
    }

    @Override
    public void stubWriteRefused(long id, String message) {
        STRIPE.stubError("POST", path(id), 400, message);
    }

    @Override
    public List<String> calls() {
        return StripeBridgeSupport.stripeCalls();
    }

    /** Stripe embeds the customer's subscriptions in the customer it answers: no separate list call. */
    @Override
    public List<String> expectedCalls(Lookup how, long id) {
        String update = "POST " + path(id);
        return switch (how) {
            case SYSTEM_ID -> List.of("GET /v1/customers/" + systemId(id), update);
            case APP_ID -> List.of("GET /v1/customers/search", update);
            case EMAIL -> List.of("GET /v1/customers", update);
        };
    }

    @Override
    public List<LoggedRequest> requests() {
        return STRIPE.server().findAll(anyRequestedFor(anyUrl()));
    }

    @Override
    public void assertCredentials(LoggedRequest request) {
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + STRIPE_KEY);
    }

    @Override
    public List<LoggedRequest> writes() {
        return STRIPE.server().findAll(postRequestedFor(anyUrl()));
    }

    @Override
    public List<LoggedRequest> grantWrites(long id) {
        return StripeBridgeSupport.posts(path(id));
    }

    /** Stripe extends the trial to the target (trial_end) rather than moving a bill date. */
    @Override
    public void assertGrantWrite(LoggedRequest write, long id, Instant target) {
        StripeBridgeSupport.assertGrantHeaders(write, id);
        assertThat(form(write)).isEqualTo(Map.of("trial_end", Long.toString(target.getEpochSecond()),
                "proration_behavior", "none", StripeBridgeSupport.FULFILMENT_METADATA, Long.toString(id)));
    }

    @Override
    public String proof(LoggedRequest write) {
        return write.getHeader("Idempotency-Key");
    }

    @Override
    public String refusal(String message) {
        return "Stripe refused (update subscription, 400): " + message;
    }

    @Override
    public String noCustomerWithEmail() {
        return "no Stripe customer with the promoter's email";
    }

    @Override
    public String severalCustomersWithEmail() {
        return "several Stripe customers have the promoter's email";
    }

    @Override
    public List<String> secrets() {
        return List.of(STRIPE_KEY);
    }
}
