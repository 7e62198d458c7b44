package io.fulfilmentbridge.paddle;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.fulfilmentbridge.paddle.PaddleStandIn.customer;
import static io.fulfilmentbridge.paddle.PaddleStandIn.entity;
import static io.fulfilmentbridge.paddle.PaddleStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Free months in Paddle Billing (docs/promises.md, Exactly once), end to end against the Paddle stand-in.
 * What every billing system promises is BillingPortContract's; these are Paddle's own.
 */
class PaddleFreeMonthsTest extends PaddleBridgeSupport {

    private static final Instant CREATED = Instant.parse("2024-04-12T10:18:47.635628Z");

    /** A date Paddle gives with microseconds, some days ahead. */
    private static Instant inDays(int days) {
        return Instant.now().plus(Duration.ofDays(days)).truncatedTo(ChronoUnit.MICROS);
    }

    private static ObjectNode activeSubscription(long id, Instant nextBilledAt, Map<String, String> customData) {
        return subscription(subscriptionId(id), customerId(id), "active", CREATED, nextBilledAt, customData);
    }

    /** The customer (by id and by email) with this one subscription, which takes updates. */
    private static void stubGrantable(long id, ObjectNode subscription) {
        PADDLE.stubCustomer(customer(customerId(id), email(id), null));
        PADDLE.stubCustomersWithEmail(email(id), customer(customerId(id), email(id), null));
        PADDLE.stubSubscriptions(customerId(id), subscription);
        PADDLE.stubSubscription(subscription);
        PADDLE.stubUpdate(subscription);
    }

    /** Exactly one update reached Paddle, the one Paddle documents, and the fulfilment is granted. */
    private void assertMovedOnce(long id, ObjectNode expectedBody) {
        assertThat(allUpdates()).hasSize(1);
        assertUpdate(updates(id).get(0), expectedBody);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    private void assertParkedWithoutGrant(long id) {
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(allUpdates()).isEmpty();
    }

    // The customer

    @Test
    void byPaddleCustomerIdMovesTheNextBillingTwoMonthsWithoutBillingAndKeepsCustomData() {
        long id = nextId();
        Instant nextBilledAt = inDays(20);
        stubGrantable(id, activeSubscription(id, nextBilledAt, Map.of("plan_seats", "5")));

        String detail = assertAnswer(deliver(id, customerId(id), 2), 200, "granted");

        Instant target = plusMonths(nextBilledAt.truncatedTo(ChronoUnit.SECONDS), 2);
        assertThat(detail).contains(subscriptionId(id), target.toString());
        assertMovedOnce(id, expectedUpdate(target, marked(id, Map.of("plan_seats", "5"))));
        assertThat(grantTarget(id)).isEqualTo(target);
        assertThat(paddleCalls()).containsExactly("GET /customers/" + customerId(id), "GET /subscriptions",
                "PATCH /subscriptions/" + subscriptionId(id));
        List<LoggedRequest> reads = PADDLE.server().findAll(com.github.tomakehurst.wiremock.client.WireMock
                .getRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.anyUrl()));
        assertThat(reads).allSatisfy(PaddleBridgeSupport::assertPaddleHeaders);
        LoggedRequest list = reads.get(1);
        assertThat(list.queryParameter("customer_id").firstValue()).isEqualTo(customerId(id));
        assertThat(list.queryParameter("status").firstValue()).isEqualTo("active,trialing,past_due");
    }

    @Test
    void severalCustomersWithTheAppsIdAreParked() {
        long id = nextId();
        PADDLE.stubCustomersWithEmail(email(id), customer("ctm_a" + id, email(id), Map.of("app_user_id", "u" + id)),
                customer("ctm_b" + id, email(id), Map.of("app_user_id", "u" + id)));

        assertThat(assertAnswer(deliver(id, "u" + id, 1), 202, "parked")).contains("several Paddle customers", "u" + id);

        assertParkedWithoutGrant(id);
    }

    @Test
    void anUnknownPaddleCustomerIdIsParked() {
        long id = nextId();
        PADDLE.stubError("GET", "/customers/" + customerId(id), 404, "not_found", "Entity " + customerId(id) + " not found");

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).isEqualTo("no Paddle customer " + customerId(id));

        assertParkedWithoutGrant(id);
    }

    @Test
    void anAppsIdWithoutAPromoterEmailIsParkedAsPaddleCannotFilterByCustomData() {
        long id = nextId();
        java.util.HashMap<String, Object> data = new java.util.HashMap<>();
        data.put("promoter.cust_id", "app-user-" + id);
        data.put("promoter.email", null);

        String detail = assertAnswer(post(delivery("free-months.json", id, data)), 202, "parked");

        assertThat(detail).contains("not a Paddle customer id", "custom_data");
        assertThat(paddleCalls()).isEmpty();
        assertParkedWithoutGrant(id);
    }

    @Test
    void anArchivedPaddleCustomerIsParked() {
        long id = nextId();
        ObjectNode archived = customer(customerId(id), email(id), null);
        archived.put("status", "archived");
        PADDLE.stubCustomer(archived);

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked"))
                .isEqualTo("Paddle customer " + customerId(id) + " is archived");

        assertParkedWithoutGrant(id);
    }

    @Test
    void aCustIdShapedLikeAPathIsLookedUpAsTheAppsIdNeverSentAsAPath() {
        long id = nextId();
        PADDLE.stubCustomersWithEmail(email(id));

        assertAnswer(deliver(id, "ctm_x/../../subscriptions", 1), 202, "parked");

        assertThat(paddleCalls()).containsExactly("GET /customers");
        assertParkedWithoutGrant(id);
    }

    // The subscription and the target

    @Test
    void grantsStackOnTheDateAnEarlierGrantSet() {
        long first = nextId();
        Instant nextBilledAt = inDays(20);
        stubGrantable(first, activeSubscription(first, nextBilledAt, null));
        assertAnswer(deliver(first, customerId(first), 1), 200, "granted");
        Instant firstTarget = plusMonths(nextBilledAt.truncatedTo(ChronoUnit.SECONDS), 1);

        // The same customer, its subscription now billing at the first grant's target.
        long second = nextId();
        PADDLE.stubSubscriptions(customerId(first), activeSubscription(first, firstTarget, marked(first, Map.of())));
        assertAnswer(deliver(second, customerId(first), 2), 200, "granted");

        assertThat(updates(first)).hasSize(2);
        assertThat(body(updates(first).get(1))).isEqualTo(expectedUpdate(plusMonths(firstTarget, 2),
                Map.of("firstpromoter_grant", "fulfilment-" + second)));
    }

    @Test
    void grantsTheNewestGrantableSubscription() {
        long id = nextId();
        ObjectNode older = subscription("sub_old" + id, customerId(id), "active", CREATED, inDays(5), null);
        ObjectNode newer = subscription(subscriptionId(id), customerId(id), "active", CREATED.plusSeconds(100), inDays(15), null);
        PADDLE.stubCustomer(customer(customerId(id), email(id), null));
        PADDLE.stubSubscriptions(customerId(id), older, newer);
        PADDLE.stubUpdate(newer);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertThat(allUpdates()).hasSize(1);
        assertThat(updates(id)).hasSize(1);
    }

    @Test
    void readsEveryPageOfSubscriptionsToFindTheNewest() {
        long id = nextId();
        ObjectNode first = subscription("sub_p1" + id, customerId(id), "active", CREATED, inDays(5), null);
        ObjectNode newest = subscription(subscriptionId(id), customerId(id), "active", CREATED.plusSeconds(500), inDays(25), null);
        PADDLE.stubCustomer(customer(customerId(id), email(id), null));
        String firstPage = PaddleStandIn.list("/subscriptions", List.of(first)).replace("\"has_more\":false", "\"has_more\":true");
        PADDLE.server().stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/subscriptions"))
                .withQueryParam("customer_id", com.github.tomakehurst.wiremock.client.WireMock.equalTo(customerId(id)))
                .withQueryParam("after", com.github.tomakehurst.wiremock.client.WireMock.absent())
                .willReturn(okJson(firstPage)));
        PADDLE.server().stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/subscriptions"))
                .withQueryParam("customer_id", com.github.tomakehurst.wiremock.client.WireMock.equalTo(customerId(id)))
                .withQueryParam("after", com.github.tomakehurst.wiremock.client.WireMock.equalTo("sub_p1" + id))
                .willReturn(okJson(PaddleStandIn.list("/subscriptions", List.of(newest)))));
        PADDLE.stubUpdate(newest);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertThat(paddleCalls()).containsExactly("GET /customers/" + customerId(id), "GET /subscriptions", "GET /subscriptions",
                "PATCH /subscriptions/" + subscriptionId(id));
        assertThat(allUpdates()).hasSize(1);
    }

    @Test
    void noGrantableSubscriptionIsParked() {
        long id = nextId();
        PADDLE.stubCustomer(customer(customerId(id), email(id), null));
        PADDLE.stubSubscriptions(customerId(id));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked"))
                .isEqualTo("no active subscription for Paddle customer " + customerId(id));

        assertParkedWithoutGrant(id);
    }

    @Test
    void aPastDueSubscriptionIsParkedAsPaddleChangesNone() {
        long id = nextId();
        stubGrantable(id, subscription(subscriptionId(id), customerId(id), "past_due", CREATED, inDays(3), null));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("past_due", subscriptionId(id));

        assertParkedWithoutGrant(id);
    }

    @Test
    void withinThirtyMinutesOfTheNextBillingItAnswers503AndSendsNothing() {
        long id = nextId();
        stubGrantable(id, activeSubscription(id, Instant.now().plus(Duration.ofMinutes(10)), null));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 503, "retry")).contains("30 minutes");

        assertThat(allUpdates()).isEmpty();
        assertThat(grantState(id)).isNull();
    }

    // Lost answers, transient errors and refusals

    @Test
    void aGrantWhoseAnswerWasLostIsSettledByItsMarkerWithoutASecondUpdate() {
        long id = nextId();
        Instant nextBilledAt = inDays(20);
        Instant target = plusMonths(nextBilledAt.truncatedTo(ChronoUnit.SECONDS), 2);
        ObjectNode before = activeSubscription(id, nextBilledAt, null);
        stubGrantable(id, before);
        // Paddle applies the update, but answers after the bridge's read timeout (2 s).
        ObjectNode after = activeSubscription(id, target, marked(id, Map.of()));
        PADDLE.server().stubFor(patch(urlPathEqualTo("/subscriptions/" + subscriptionId(id)))
                .willReturn(okJson(entity(after)).withFixedDelay(3500)));
        PADDLE.stubSubscription(after);

        long started = System.nanoTime();
        assertAnswer(deliver(id, customerId(id), 2), 503, "retry");
        fenceOver();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(grantState(id)).isEqualTo("SENT");
        assertThat(state(id)).isNotEqualTo("GRANTED");

        assertAnswer(deliver(id, customerId(id), 2), 200, "granted");

        assertMovedOnce(id, expectedUpdate(target, marked(id, Map.of())));
        assertThat(paddleCalls()).endsWith("GET /subscriptions/" + subscriptionId(id));
    }

    @Test
    void aLostTrialExtensionWhoseTrialSomeoneElseExtendedToItsTargetIsParkedWithWhatWasSeen() {
        long id = nextId();
        Instant trialEnds = inDays(10);
        Instant target = plusMonths(trialEnds.truncatedTo(ChronoUnit.SECONDS), 1);
        ObjectNode trialing = subscription(subscriptionId(id), customerId(id), "trialing", CREATED, trialEnds, null);
        stubGrantable(id, trialing);
        // The update answers 503 and does not take effect; then the trial is extended by a month (by the
        // team in Paddle's dashboard): exactly the grant's target, and a trialing subscription takes no marker.
        PADDLE.stubUpdateUnavailable(subscriptionId(id));
        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        fenceOver();
        ObjectNode extended = PaddleStandIn.oneIntervalLater(trialing);
        PADDLE.becomes(extended);
        assertThat(Instant.parse(extended.path("next_billed_at").asText()).truncatedTo(ChronoUnit.SECONDS)).isEqualTo(target);

        String reason = assertAnswer(deliver(id, customerId(id), 1), 202, "parked");

        assertThat(reason).contains(subscriptionId(id), trialEnds.truncatedTo(ChronoUnit.SECONDS).toString(),
                target.toString(), "trialing");
        assertThat(allUpdates()).hasSize(1);
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(PADDLE.current(subscriptionId(id)).path("next_billed_at").asText())
                .isEqualTo(extended.path("next_billed_at").asText());
    }

    @Test
    void aLostTrialExtensionWhoseTrialStillEndsAtItsBaseIsSentAgainFromTheDatesAsTheyAre() {
        long id = nextId();
        Instant trialEnds = inDays(10);
        Instant target = plusMonths(trialEnds.truncatedTo(ChronoUnit.SECONDS), 1);
        ObjectNode trialing = subscription(subscriptionId(id), customerId(id), "trialing", CREATED, trialEnds, null);
        stubGrantable(id, trialing);
        PADDLE.stubUpdateUnavailable(subscriptionId(id));
        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        fenceOver();
        PADDLE.stubUpdateApplies(subscription(subscriptionId(id), customerId(id), "trialing", CREATED, target, null), false);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        // The trial still ends where it did: the extension did not land, and is sent again without custom_data.
        List<LoggedRequest> sent = updates(id);
        assertThat(sent).hasSize(2);
        assertThat(body(sent.get(1))).isEqualTo(expectedUpdate(target, null));
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(PADDLE.current(subscriptionId(id)).path("next_billed_at").asText()).isEqualTo(target.toString());
    }

    @Test
    void aLostGrantWhoseSubscriptionThenRenewedToItsTargetIsGrantedFromTheRenewedDate() {
        long id = nextId();
        Instant nextBilledAt = inDays(20);
        Instant target = plusMonths(nextBilledAt.truncatedTo(ChronoUnit.SECONDS), 1);
        ObjectNode before = activeSubscription(id, nextBilledAt, Map.of("a", "b"));
        stubGrantable(id, before);
        // The update answers 503 and does not take effect; then the monthly subscription renews, a month
        // later: exactly the grant's target, without the grant's marker.
        PADDLE.stubUpdateUnavailable(subscriptionId(id));
        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        fenceOver();
        ObjectNode renewed = PaddleStandIn.oneIntervalLater(before);
        PADDLE.becomes(renewed);
        assertThat(Instant.parse(renewed.path("next_billed_at").asText()).truncatedTo(ChronoUnit.SECONDS)).isEqualTo(target);
        Instant regranted = plusMonths(target, 1);
        ObjectNode after = activeSubscription(id, regranted, marked(id, Map.of("a", "b")));
        PADDLE.stubUpdateApplies(after, false);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        // The marker, written by the same request, was absent: granted from the renewed date, never the old target again.
        List<LoggedRequest> sent = updates(id);
        assertThat(sent).hasSize(2);
        assertThat(body(sent.get(0))).isEqualTo(expectedUpdate(target, marked(id, Map.of("a", "b"))));
        assertThat(body(sent.get(1))).isEqualTo(expectedUpdate(regranted, marked(id, Map.of("a", "b"))));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(PADDLE.current(subscriptionId(id)).path("next_billed_at").asText()).isEqualTo(regranted.toString());
    }

    @Test
    void aLostGrantWhoseSubscriptionSomeoneElseMovedWithoutItsMarkerIsGrantedFromTheirDate() {
        long id = nextId();
        Instant nextBilledAt = inDays(20);
        stubGrantable(id, activeSubscription(id, nextBilledAt, null));
        PADDLE.server().stubFor(patch(urlPathEqualTo("/subscriptions/" + subscriptionId(id)))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        Instant moved = inDays(50).truncatedTo(ChronoUnit.SECONDS);
        PADDLE.becomes(activeSubscription(id, moved, Map.of("other", "x")));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        fenceOver();
        PADDLE.stubUpdate(activeSubscription(id, plusMonths(moved, 1), marked(id, Map.of("other", "x"))));
        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        // No marker: the first update did not land; the month is granted from the date as it is now.
        List<LoggedRequest> sent = updates(id);
        assertThat(sent).hasSize(2);
        assertThat(body(sent.get(1))).isEqualTo(expectedUpdate(plusMonths(moved, 1), marked(id, Map.of("other", "x"))));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void theDemoCustomerTakesFreeMonthsByItsPaddleIdAndByTheAppsId() {
        PaddleStandIn.demo(PADDLE);

        long byId = nextId();
        assertAnswer(post(delivery("free-months.json", byId, Map.of("promoter.cust_id", "ctm_01hv6y1jedq4p1n0yqn5ba3ky4"))),
                200, "granted");
        long byAppId = nextId();
        assertAnswer(post(delivery("free-months.json", byAppId,
                Map.of("promoter.cust_id", "demo-user", "promoter.email", "demo@example.org"))), 200, "granted");

        assertThat(allUpdates()).hasSize(2);
    }

}
