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
import static io.fulfilmentbridge.StripeStandIn.subscription;
import static io.fulfilmentbridge.StripeStandIn.withSubscriptions;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Free months by trial extension (the default strategy), end to end against the Stripe stand-in. */
class FreeMonthsTest extends StripeBridgeSupport {

    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    private static String subscriptionOf(long id, String status, Long trialEnd, long periodEnd) {
        return subscription(subscriptionId(id), customerId(id), status, CREATED, trialEnd,
                List.of(item("T" + id, 1500, 1, "usd", "month", 1, periodEnd)));
    }

    /** Stubs the customer with one subscription that takes updates. */
    private static void stubGrantable(long id, Long trialEnd, long periodEnd) {
        String subscription = subscriptionOf(id, trialEnd == null ? "active" : "trialing", trialEnd, periodEnd);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscription);
        STRIPE.stubSubscriptionUpdate(subscriptionId(id), subscription);
    }

    private static long plusMonths(long epoch, int months) {
        return Instant.ofEpochSecond(epoch).atZone(ZoneOffset.UTC).plusMonths(months).toEpochSecond();
    }

    private static List<LoggedRequest> grants(long id) {
        return posts("/v1/subscriptions/" + subscriptionId(id));
    }

    /** Exactly one update reached Stripe, the one the contract describes. */
    private void assertExtendedOnce(long id, long trialEnd) {
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).hasSize(1);
        assertThat(grants(id)).hasSize(1);
        LoggedRequest update = grants(id).get(0);
        assertGrantHeaders(update, id);
        assertThat(form(update)).isEqualTo(Map.of(
                "trial_end", Long.toString(trialEnd),
                "proration_behavior", "none",
                FULFILMENT_METADATA, Long.toString(id)));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(trialTarget(id))
                .isEqualTo(trialEnd);
    }

    private void assertParkedWithoutGrant(long id) {
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }

    // 1-3: the target

    @Test
    void extendsTheTrialToTwoMonthsAfterTheCurrentPeriod() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        stubGrantable(id, null, periodEnd);

        String detail = assertAnswer(deliver(id, customerId(id), 2), 200, "granted");

        long expected = ZonedDateTime.ofInstant(Instant.ofEpochSecond(periodEnd), ZoneOffset.UTC).plusMonths(2).toEpochSecond();
        assertThat(detail).contains(subscriptionId(id));
        assertExtendedOnce(id, expected);
        // Two round trips: the customer with its subscriptions embedded, then the update.
        List<LoggedRequest> customers = gets("/v1/customers/" + customerId(id));
        assertThat(customers).hasSize(1);
        assertThat(expand(customers.get(0))).containsExactly("subscriptions");
        assertThat(customers.get(0).getHeader("Authorization")).isEqualTo("Bearer " + STRIPE_KEY);
        assertThat(gets("/v1/subscriptions")).isEmpty();
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "POST /v1/subscriptions/" + subscriptionId(id));
    }

    @Test
    void everyStripeRequestIdentifiesTheClientAsStripeJavaDoes() throws Exception {
        long id = nextId();
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        List<LoggedRequest> requests = STRIPE.server().findAll(anyRequestedFor(anyUrl()));
        assertThat(requests).hasSize(2).allSatisfy(request -> {
            assertThat(request.getHeader("User-Agent")).startsWith("Stripe/v1 JavaBindings/31.1.0");
            JsonNode client = JSON.readTree(request.getHeader("X-Stripe-Client-User-Agent"));
            assertThat(client.get("bindings.version").asText()).isEqualTo("31.1.0");
            assertThat(client.get("lang").asText()).isEqualTo("Java");
            assertThat(request.getHeader("Stripe-Version")).isNotBlank();
        });
        assertThat(requests.get(1).getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + id);
        assertThat(requests.get(1).getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded");
    }

    @Test
    void extendsFromTheLatestPeriodEndOfAllItemsPastTheFirstPage() {
        long id = nextId();
        long laterEnd = epochIn(Duration.ofDays(40));
        // The embedded item list holds one item and says more follow; the next page's item ends later.
        String subscription = subscription(subscriptionId(id), customerId(id), "active", CREATED, null,
                List.of(item("a" + id, 1500, 1, "usd", "month", 1, epochIn(Duration.ofDays(20)))))
                .replace("\"has_more\":false", "\"has_more\":true");
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscription);
        STRIPE.stubSubscriptionUpdate(subscriptionId(id), subscription);
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscription_items"))
                .withQueryParam("subscription", equalTo(subscriptionId(id)))
                .withQueryParam("starting_after", equalTo("si_a" + id))
                .willReturn(okJson(list("/v1/subscription_items", List.of(item("b" + id, 500, 1, "usd", "month", 1, laterEnd))))));

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertExtendedOnce(id, plusMonths(laterEnd, 1));
    }

    @Test
    void parksATargetBeyondStripesTrialLimit() {
        long id = nextId();
        stubGrantable(id, epochIn(Duration.ofDays(700)), epochIn(Duration.ofDays(20)));

        assertThat(assertAnswer(deliver(id, customerId(id), 2), 202, "parked")).contains("limit");

        assertParkedWithoutGrant(id);
    }

    @Test
    void grantsTheMostRecentlyCreatedGrantableSubscription() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(10));
        String older = subscription("sub_old" + id, customerId(id), "active", CREATED, null,
                List.of(item("o" + id, 1500, 1, "usd", "month", 1, periodEnd)));
        String chosen = subscription("sub_due" + id, customerId(id), "past_due", CREATED + 100, null,
                List.of(item("d" + id, 1500, 1, "usd", "month", 1, periodEnd)));
        String canceled = subscription("sub_gone" + id, customerId(id), "canceled", CREATED + 200, null,
                List.of(item("c" + id, 1500, 1, "usd", "month", 1, periodEnd)));
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), older, canceled, chosen);
        STRIPE.stubSubscriptionUpdate("sub_due" + id, chosen);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl())))
                .extracting(LoggedRequest::getUrl).containsExactly("/v1/subscriptions/sub_due" + id);
    }

    @Test
    void readsTheListWhenTheEmbeddedOneSaysMoreFollow() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(10));
        // Stripe embeds the 10 most recent not canceled: here ten newer incomplete ones, so has_more; the
        // active one only the list call shows.
        List<String> subscriptions = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            subscriptions.add(subscription("sub_inc" + i + "_" + id, customerId(id), "incomplete", CREATED + 100 + i, null,
                    List.of(item("i" + i + "_" + id, 1500, 1, "usd", "month", 1, periodEnd))));
        }
        String active = subscriptionOf(id, "active", null, periodEnd);
        subscriptions.add(active);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptions.toArray(String[]::new));
        STRIPE.stubSubscriptionUpdate(subscriptionId(id), active);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "GET /v1/subscriptions",
                "POST /v1/subscriptions/" + subscriptionId(id));
        LoggedRequest listing = gets("/v1/subscriptions").get(0);
        assertThat(listing.queryParameter("customer").firstValue()).isEqualTo(customerId(id));
        assertThat(listing.queryParameter("status").firstValue()).isEqualTo("all");
        assertExtendedOnce(id, plusMonths(periodEnd, 1));
    }

    @Test
    void aGrantToTheSameCustomerSinceItsSubscriptionsWereReadMakesThemBeReadAgain() {
        long first = nextId();
        long second = nextId();
        String cus = customerId(first);
        long periodEnd = epochIn(Duration.ofDays(20));
        long target = plusMonths(periodEnd, 1);
        String before = subscriptionOf(first, "active", null, periodEnd);
        String after = subscriptionOf(first, "trialing", target, periodEnd);
        String path = "/v1/subscriptions/" + subscriptionId(first);
        STRIPE.stubCustomer(cus);
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscriptions")).inScenario("one customer")
                .whenScenarioStateIs(STARTED).willReturn(okJson(list("/v1/subscriptions", List.of(before)))));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscriptions")).inScenario("one customer")
                .whenScenarioStateIs("extended").willReturn(okJson(list("/v1/subscriptions", List.of(after)))));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("one customer")
                .willReturn(okJson(after)).willSetStateTo("extended"));
        // The second finds the customer by its metadata, in an answer read before the first grant
        // (as when two instances take the same customer at once): its embedded list is the one before.
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/search")).willReturn(okJson(searchResult(List.of(
                withSubscriptions(customer(cus), cus, false, List.of(before)))))));

        assertAnswer(deliver(first, cus, 1), 200, "granted");
        assertAnswer(deliver(second, "user-" + second, 1), 200, "granted");

        // The second read the subscription again, under the customer's lock, and stacked on the first's month.
        assertThat(posts(path)).extracting(update -> form(update).get("trial_end"))
                .containsExactly(Long.toString(target), Long.toString(plusMonths(target, 1)));
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + cus, "POST " + path,
                "GET /v1/customers/search", "GET /v1/subscriptions", "POST " + path);
        assertThat(state(first)).isEqualTo("GRANTED");
        assertThat(state(second)).isEqualTo("GRANTED");
    }

    // 4: once

    // 5: lost answers

    private static ResponseDefinitionBuilder stripeError(int status, String message) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"api_error\",\"message\":\"" + message + "\"}}");
    }

    /** The first update is lost (the connection drops before Stripe applies it); later ones answer as given. */
    private static void stubFirstUpdateLost(long id, String path, ResponseDefinitionBuilder later) {
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("sent"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs("sent")
                .willReturn(later));
    }

    @Test
    void aLostGrantIsNotTakenAsAppliedBecauseSomeoneElseMovedTheTrialPastItsTarget() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        long target = plusMonths(periodEnd, 2);
        String path = "/v1/subscriptions/" + subscriptionId(id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptionOf(id, "active", null, periodEnd));
        stubFirstUpdateLost(id, path, okJson(subscriptionOf(id, "trialing", target, periodEnd)));
        // Meanwhile an operator moved the trial past the grant's target; the grant's marker is not there.
        long moved = target + 10 * 86_400;
        STRIPE.server().stubFor(get(urlPathEqualTo(path)).willReturn(okJson(subscriptionOf(id, "trialing", moved, periodEnd))));

        assertAnswer(deliver(id, customerId(id), 2), 503, "retry");
        assertThat(grantState(id)).isEqualTo("SENT");

        // Not "granted": nothing of this grant reached the subscription, and re-sending its target would shorten the trial.
        assertThat(assertAnswer(deliver(id, customerId(id), 2), 202, "parked")).contains("did not take effect");

        assertThat(grants(id)).hasSize(1);
        assertThat(gets(path)).hasSize(1);
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
    }

    @Test
    void aLostGrantCarryingItsMarkerIsGrantedEvenIfTheTrialWasMovedBackSince() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        long target = plusMonths(periodEnd, 1);
        String path = "/v1/subscriptions/" + subscriptionId(id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptionOf(id, "active", null, periodEnd));
        // Stripe applies the update and the connection drops before its answer; then an operator
        // shortens the trial again. The marker the update set stays.
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        STRIPE.server().stubFor(get(urlPathEqualTo(path))
                .willReturn(okJson(marked(subscriptionOf(id, "trialing", target - 5 * 86_400, periodEnd), id))));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertThat(grants(id)).hasSize(1);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aLostGrantPastTheIdempotencyWindowIsSentUnderTheNextKeyWithoutMovingTheTrialBack() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        long target = plusMonths(periodEnd, 2);
        long moved = target + 10 * 86_400;
        String path = "/v1/subscriptions/" + subscriptionId(id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptionOf(id, "active", null, periodEnd));
        stubFirstUpdateLost(id, path, okJson(subscriptionOf(id, "trialing", plusMonths(moved, 2), periodEnd)));
        STRIPE.server().stubFor(get(urlPathEqualTo(path)).willReturn(okJson(subscriptionOf(id, "trialing", moved, periodEnd))));

        assertAnswer(deliver(id, customerId(id), 2), 503, "retry");
        // A day later: Stripe may have forgotten the first key.
        Timestamp dayAgo = Timestamp.from(Instant.now().minus(Duration.ofHours(24)));
        keySentAt(id, dayAgo);

        assertAnswer(deliver(id, customerId(id), 2), 200, "granted");

        List<LoggedRequest> updates = grants(id);
        assertThat(updates).hasSize(2);
        assertThat(updates.get(0).getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + id);
        assertThat(form(updates.get(0))).containsEntry("trial_end", Long.toString(target));
        assertThat(updates.get(1).getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + id + "-2");
        assertThat(form(updates.get(1))).isEqualTo(Map.of(
                "trial_end", Long.toString(plusMonths(moved, 2)),
                "proration_behavior", "none",
                FULFILMENT_METADATA, Long.toString(id)));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(trialTarget(id))
                .isEqualTo(plusMonths(moved, 2));
    }

    @Test
    void aServerErrorStripeReplaysForTheKeyIsParkedWithItsMessage() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        String path = "/v1/subscriptions/" + subscriptionId(id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptionOf(id, "active", null, periodEnd));
        STRIPE.server().stubFor(get(urlPathEqualTo(path)).willReturn(okJson(subscriptionOf(id, "active", null, periodEnd))));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("replayed").whenScenarioStateIs(STARTED)
                .willReturn(stripeError(500, "Internal error " + id)).willSetStateTo("stored"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("replayed").whenScenarioStateIs("stored")
                .willReturn(stripeError(500, "Internal error " + id).withHeader("Idempotent-Replayed", "true")));

        // A fresh 500: retry later.
        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        // The same key again: Stripe replays the stored 500, which no retry will change.
        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("Internal error " + id)
                .contains("Idempotent-Replayed");

        List<LoggedRequest> updates = grants(id);
        assertThat(updates).hasSize(2);
        assertThat(updates).allSatisfy(update -> assertGrantHeaders(update, id));
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"500", "503", "409", "500 should-retry", "reset"})
    void aFailedGrantReachesStripeOncePerDelivery(String failure) {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        String path = "/v1/subscriptions/" + subscriptionId(id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptionOf(id, "active", null, periodEnd));
        ResponseDefinitionBuilder answer = switch (failure) {
            case "reset" -> aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
            case "500 should-retry" -> stripeError(500, "boom").withHeader("Stripe-Should-Retry", "true");
            default -> stripeError(Integer.parseInt(failure), "boom");
        };
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).willReturn(answer));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");

        assertThat(grants(id)).hasSize(1);
    }

    @Test
    void anAnswerStripeJavaCannotReadIsRetryLaterNotAnError() {
        long id = nextId();
        // stripe-java fails outside StripeException on an error status with an empty body: retried, never a 500.
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/" + customerId(id)))
                .willReturn(aResponse().withStatus(502)));

        String detail = assertAnswer(deliver(id, customerId(id), 1), 503, "retry");

        assertThat(detail).startsWith("Stripe's answer could not be read (retrieve customer");
        assertThat(state(id)).isEqualTo("RECEIVED");
        assertThat(posts("/v1/subscriptions/" + subscriptionId(id))).isEmpty();
    }

    @Test
    void aGrantRefusedWhenSentAgainIsParkedWithStripesMessage() {
        long id = nextId();
        String before = subscriptionOf(id, "active", null, epochIn(Duration.ofDays(20)));
        String path = "/v1/subscriptions/" + subscriptionId(id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), before);
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("refused").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(500)).willSetStateTo("refusing")); // no body: unreadable to stripe-java
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("refused").whenScenarioStateIs("refusing")
                .willReturn(aResponse().withStatus(402).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"type\":\"card_error\",\"message\":\"Declined " + id + "\"}}")));
        STRIPE.server().stubFor(get(urlPathEqualTo(path)).willReturn(okJson(before)));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("Declined " + id);

        assertThat(grants(id)).hasSize(2);
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
    }

    // 6: the customer

    @Test
    void findsTheCustomerByMetadataWithTheValueEscaped() {
        long id = nextId();
        String appUser = "o'b\\c" + id;
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/search"))
                .willReturn(okJson(searchResult(List.of(customer(customerId(id)))))));
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));

        assertAnswer(deliver(id, appUser, 1), 200, "granted");

        List<LoggedRequest> searches = gets("/v1/customers/search");
        assertThat(searches).hasSize(1);
        assertThat(searches.get(0).queryParameter("query").firstValue())
                .isEqualTo("metadata['app_user_id']:'o\\'b\\\\c" + id + "'");
        assertThat(expand(searches.get(0))).containsExactly("data.subscriptions");
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/search", "POST /v1/subscriptions/" + subscriptionId(id));
        assertThat(grants(id)).hasSize(1);
    }

    @Test
    void parksWhenSeveralCustomersCarryTheMetadata() {
        long id = nextId();
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/search"))
                .willReturn(okJson(searchResult(List.of(customer(customerId(id)), customer("cus_other" + id))))));

        assertThat(assertAnswer(deliver(id, "user-" + id, 1), 202, "parked")).contains("several");

        assertThat(expand(gets("/v1/customers/search").get(0))).containsExactly("data.subscriptions");
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/search");
        assertParkedWithoutGrant(id);
    }

    @Test
    void fallsBackToTheEmailWhenNoCustomerCarriesTheMetadata() {
        long id = nextId();
        String email = "p" + id + "@example.org";
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/search")).willReturn(okJson(searchResult(List.of()))));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(list("/v1/customers", List.of(customer(customerId(id)))))));
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));

        assertAnswer(deliver(id, Map.of("promoter.cust_id", "user-" + id, "promoter.email", email)), 200, "granted");

        assertThat(stripeCalls()).containsExactly("GET /v1/customers/search", "GET /v1/customers",
                "POST /v1/subscriptions/" + subscriptionId(id));
        assertThat(expand(gets("/v1/customers").get(0))).containsExactly("data.subscriptions");
        assertThat(grants(id)).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"empty", "null"})
    void looksTheCustomerUpByEmailWithoutCustId(String custId) {
        long id = nextId();
        String email = "p" + id + "@example.org";
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(list("/v1/customers", List.of(customer(customerId(id)))))));
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));
        Map<String, Object> data = new HashMap<>(Map.of("promoter.email", email));
        data.put("promoter.cust_id", switch (custId) {
            case "empty" -> "";
            case "null" -> NullNode.getInstance();
            default -> null;
        });

        assertAnswer(deliver(id, data), 200, "granted");

        assertThat(stripeCalls()).containsExactly("GET /v1/customers", "POST /v1/subscriptions/" + subscriptionId(id));
        assertThat(expand(gets("/v1/customers").get(0))).containsExactly("data.subscriptions");
        assertThat(grants(id)).hasSize(1);
    }

    @Test
    void parksADeletedCustomer() {
        long id = nextId();
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/" + customerId(id)))
                .willReturn(okJson("{\"id\":\"" + customerId(id) + "\",\"object\":\"customer\",\"deleted\":true}")));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("deleted");

        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id));
        assertParkedWithoutGrant(id);
    }

    @Test
    void parksAnUnknownCustomer() {
        long id = nextId();
        STRIPE.stubError("GET", "/v1/customers/" + customerId(id), 404, "No such customer: '" + customerId(id) + "'");

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("No such customer");

        assertThat(gets("/v1/customers")).isEmpty();
        assertParkedWithoutGrant(id);
    }

    // 7: what cannot be granted

    @Test
    void parksACustomerWithoutAnActiveSubscription() {
        long id = nextId();
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscriptionOf(id, "canceled", null, epochIn(Duration.ofDays(-3))));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("no active subscription");

        assertParkedWithoutGrant(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"retrieve", "search", "list"})
    void parksACustomerWhoseEmbeddedSubscriptionsCannotTakeAGrantWithoutTheListCall(String lookup) {
        long id = nextId();
        long ended = epochIn(Duration.ofDays(-3));
        String email = "p" + id + "@example.org";
        // Stripe embeds the ones not canceled: incomplete, incomplete_expired and paused cannot take a grant either.
        STRIPE.stubSubscriptions(customerId(id),
                subscription("sub_gone" + id, customerId(id), "canceled", CREATED + 300, null, List.of()),
                subscription("sub_new" + id, customerId(id), "incomplete", CREATED + 200, null, List.of()),
                subscription("sub_exp" + id, customerId(id), "incomplete_expired", CREATED + 100, null, List.of()),
                subscriptionOf(id, "paused", null, ended));
        STRIPE.stubCustomer(customerId(id));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/search"))
                .willReturn(okJson(searchResult(List.of(customer(customerId(id)))))));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(list("/v1/customers", List.of(customer(customerId(id)))))));
        String custId = switch (lookup) {
            case "retrieve" -> customerId(id);
            case "search" -> "user-" + id;
            default -> "";
        };

        assertThat(assertAnswer(deliver(id, Map.of("promoter.cust_id", custId, "promoter.email", email)), 202, "parked"))
                .isEqualTo("no active subscription for Stripe customer " + customerId(id));

        assertThat(stripeCalls()).containsExactly(switch (lookup) {
            case "retrieve" -> "GET /v1/customers/" + customerId(id);
            case "search" -> "GET /v1/customers/search";
            default -> "GET /v1/customers";
        });
        assertParkedWithoutGrant(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.5", "0", "-1", "25"})
    void parksAnAmountOutOfBoundsWithoutCallingStripe(String months) {
        long id = nextId();
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));

        assertThat(assertAnswer(deliver(id, customerId(id), new BigDecimal(months)), 202, "parked"))
                .contains("amount out of bounds");

        assertThat(requestsAbout(customerId(id))).isEmpty();
        assertParkedWithoutGrant(id);
    }

    @Test
    void takesTwoPointZeroAsTwoMonths() {
        long id = nextId();
        long periodEnd = epochIn(Duration.ofDays(20));
        stubGrantable(id, null, periodEnd);

        assertAnswer(deliver(id, customerId(id), new BigDecimal("2.0")), 200, "granted");

        assertExtendedOnce(id, plusMonths(periodEnd, 2));
    }

    // 8: Stripe failing

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 429, 409, 401, 403})
    void answersRetryWhenStripeFailsAndGrantsOnTheNextDelivery(int status) {
        long id = nextId();
        STRIPE.stubError("GET", "/v1/customers/" + customerId(id), status, "failure " + status);

        long started = System.nanoTime();
        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        // Quicker than the 2 s read timeout: Stripe's answer was taken as it came.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(state(id)).isEqualTo("RECEIVED");
        assertThat(grantState(id)).isNull();
        assertThat(grants(id)).isEmpty();

        STRIPE.reset();
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));
        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");
        assertThat(grants(id)).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {402})
    void parksWithStripesMessageWhenStripeRefusesTheGrant(int status) {
        long id = nextId();
        stubGrantable(id, null, epochIn(Duration.ofDays(20)));
        STRIPE.stubError("POST", "/v1/subscriptions/" + subscriptionId(id), status, "Refused for test " + id);

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("Refused for test " + id);

        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(grants(id)).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"customer", "subscriptions"})
    void answersWithinTenSecondsWhenStripeHangs(String hanging) {
        long id = nextId();
        if (hanging.equals("customer")) {
            STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/" + customerId(id)))
                    .willReturn(okJson(customer(customerId(id))).withFixedDelay(30_000)));
        } else {
            // The embedded list says more follow: the list call is made, and hangs.
            STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/" + customerId(id))).willReturn(okJson(
                    withSubscriptions(customer(customerId(id)), customerId(id), true, List.of()))));
            STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscriptions"))
                    .willReturn(okJson(list("/v1/subscriptions", List.of())).withFixedDelay(30_000)));
        }

        long started = System.nanoTime();
        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(grantState(id)).isNull();
        assertThat(state(id)).isEqualTo("RECEIVED");
    }
}
