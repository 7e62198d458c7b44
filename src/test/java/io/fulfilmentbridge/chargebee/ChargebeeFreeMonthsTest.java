package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.changeTermEndPath;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.customer;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Free months in Chargebee (docs/promises.md, Exactly once): the term end moved with change_term_end, end
 * to end against the stand-in. What every billing system promises is BillingPortContract's; these are Chargebee's own.
 */
class ChargebeeFreeMonthsTest extends ChargebeeBridgeSupport {

    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    private static ObjectNode subscriptionOf(long id, String status, long termEnd, Long trialEnd) {
        return subscription(subscriptionId(id), customerId(id), status, CREATED, termEnd, trialEnd, "USD");
    }

    /** The customer, found by its id, with this one subscription, which takes term-end changes. */
    private static void stubGrantable(long id, ObjectNode subscription) {
        CHARGEBEE.stubCustomer(customer(customerId(id), "jane@example.org"));
        CHARGEBEE.stubSubscriptions(customerId(id), subscription);
        CHARGEBEE.stubSubscription(subscription);
        CHARGEBEE.stubChangeTermEnd(subscription);
    }

    private static long plusMonths(long epoch, int months) {
        return Instant.ofEpochSecond(epoch).atZone(ZoneOffset.UTC).plusMonths(months).toEpochSecond();
    }

    private static List<LoggedRequest> changes(long id) {
        return posts(changeTermEndPath(subscriptionId(id)));
    }

    private static Map<String, String> termEndForm(long termEndsAt) {
        return Map.of("term_ends_at", Long.toString(termEndsAt), "prorate", "false", "invoice_immediately", "false");
    }

    /** Exactly one change reached Chargebee, the one Chargebee documents, and the fulfilment is granted. */
    private void assertChangedOnce(long id, long termEndsAt) {
        assertThat(allPosts()).hasSize(1);
        LoggedRequest change = changes(id).get(0);
        assertWriteHeaders(change, "fulfilment-" + id);
        assertThat(form(change)).isEqualTo(termEndForm(termEndsAt));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(jdbc.queryForObject("SELECT target_at FROM billing_grants WHERE fulfilment_id = ?", Timestamp.class, id)
                .toInstant().getEpochSecond()).isEqualTo(termEndsAt);
    }

    private void assertParkedWithoutGrant(long id) {
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(allPosts()).isEmpty();
    }

    // the customer

    @Test
    void aCustomFieldFilterChargebeeIgnoredFindsNobodyAndTheEmailDecides() {
        long id = nextId();
        String appId = "app-user-" + id;
        // The field is not filterable on this site: Chargebee answers customers that do not carry the value.
        CHARGEBEE.stubCustomersWhere("cf_app_customer_id", appId, customer("someone_else", "other@example.org"));
        CHARGEBEE.stubCustomersWhere("email", "jane@example.org", customer(customerId(id), "Jane@Example.org"));
        ObjectNode subscription = subscriptionOf(id, "active", epochIn(Duration.ofDays(20)), null);
        CHARGEBEE.stubSubscriptions(customerId(id), subscription);
        CHARGEBEE.stubChangeTermEnd(subscription);

        assertAnswer(deliverMonths(id, appId, 1), 200, "granted");

        assertThat(changes(id)).hasSize(1);
        assertThat(CHARGEBEE.server().findAll(WireMock.anyRequestedFor(WireMock.anyUrl())).stream()
                .anyMatch(r -> r.getUrl().contains("someone_else"))).isFalse();
    }

    @Test
    void aCustomFieldFilterChargebeeRefusesLeavesTheEmailToDecide() {
        long id = nextId();
        String appId = "app user/" + id;
        CHARGEBEE.stubError("GET", "/api/v2/customers/" + appId.replace(" ", "%20").replace("/", "%2F"), 400,
                "param_wrong_value", "id : invalid value");
        CHARGEBEE.server().stubFor(WireMock.get(urlPathEqualTo("/api/v2/customers"))
                .withQueryParam("cf_app_customer_id[is]", WireMock.equalTo(appId))
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody(ChargebeeStandIn.error(400, "invalid_request", "param_not_filterable", "not filterable"))));
        CHARGEBEE.stubCustomersWhere("email", "jane@example.org", customer(customerId(id), "jane@example.org"));
        ObjectNode subscription = subscriptionOf(id, "active", epochIn(Duration.ofDays(20)), null);
        CHARGEBEE.stubSubscriptions(customerId(id), subscription);
        CHARGEBEE.stubChangeTermEnd(subscription);

        assertAnswer(deliverMonths(id, appId, 1), 200, "granted");

        assertThat(chargebeeCalls()).containsExactly("GET /api/v2/customers/app%20user%2F" + id, "GET /api/v2/customers",
                "GET /api/v2/customers", "GET /api/v2/subscriptions", "POST " + changeTermEndPath(subscriptionId(id)));
    }

    /** A cust_id left empty is no cust_id (a missing one: BillingPortContract, by email). */
    @ParameterizedTest(name = "cust_id {0}")
    @ValueSource(strings = {"empty"})
    void aCustomerByEmailWhenThereIsNoCustId(String custId) {
        long id = nextId();
        CHARGEBEE.stubCustomersWhere("email", "jane@example.org", customer(customerId(id), "jane@example.org"));
        ObjectNode subscription = subscriptionOf(id, "active", epochIn(Duration.ofDays(20)), null);
        CHARGEBEE.stubSubscriptions(customerId(id), subscription);
        CHARGEBEE.stubChangeTermEnd(subscription);
        Map<String, Object> data = new HashMap<>();
        data.put("promoter.cust_id", custId.equals("empty") ? "" : null);

        assertAnswer(deliver("free-months.json", id, data), 200, "granted");

        assertThat(chargebeeCalls()).containsExactly("GET /api/v2/customers", "GET /api/v2/subscriptions",
                "POST " + changeTermEndPath(subscriptionId(id)));
        assertThat(query(CHARGEBEE.server().findAll(getRequestedFor(urlPathEqualTo("/api/v2/customers"))).get(0)))
                .isEqualTo(Map.of("email[is]", "jane@example.org", "limit", "10"));
    }

    @Test
    void parksWhenSeveralCustomersCarryTheAppsId() {
        long id = nextId();
        String appId = "app-user-" + id;
        CHARGEBEE.stubCustomersWhere("cf_app_customer_id", appId,
                customer("a" + id, null).put("cf_app_customer_id", appId), customer("b" + id, null).put("cf_app_customer_id", appId));

        assertThat(assertAnswer(deliverMonths(id, appId, 1), 202, "parked"))
                .isEqualTo("several Chargebee customers have cf_app_customer_id = " + appId);
        assertParkedWithoutGrant(id);
    }

    @Test
    void parksADeletedCustomer() {
        long id = nextId();
        CHARGEBEE.stubCustomer(customer(customerId(id), "jane@example.org").put("deleted", true));

        assertThat(assertAnswer(deliverMonths(id, customerId(id), 1), 202, "parked"))
                .isEqualTo("Chargebee customer " + customerId(id) + " is deleted");
        assertParkedWithoutGrant(id);
    }

    // the subscription and the target

    @Test
    void grantsTheNewestSubscriptionChangeTermEndTakes() {
        long id = nextId();
        long termEnd = epochIn(Duration.ofDays(10));
        ObjectNode older = subscription("old" + id, customerId(id), "active", CREATED, termEnd, null, "USD");
        ObjectNode chosen = subscription(subscriptionId(id), customerId(id), "non_renewing", CREATED + 100, termEnd, null, "USD");
        ObjectNode cancelled = subscription("gone" + id, customerId(id), "cancelled", CREATED + 200, termEnd, null, "USD");
        CHARGEBEE.stubCustomer(customer(customerId(id), null));
        CHARGEBEE.stubSubscriptions(customerId(id), cancelled, chosen, older);
        CHARGEBEE.stubChangeTermEnd(chosen);

        assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted");

        assertChangedOnce(id, plusMonths(termEnd, 1));
    }

    @Test
    void parksACustomerWithoutASubscriptionToGrantOn() {
        long id = nextId();
        CHARGEBEE.stubCustomer(customer(customerId(id), null));
        CHARGEBEE.stubSubscriptions(customerId(id),
                subscription(subscriptionId(id), customerId(id), "cancelled", CREATED, epochIn(Duration.ofDays(-3)), null, "USD"),
                subscription("paused" + id, customerId(id), "paused", CREATED, epochIn(Duration.ofDays(3)), null, "USD"));

        assertThat(assertAnswer(deliverMonths(id, customerId(id), 1), 202, "parked"))
                .isEqualTo("no active, in-trial or non-renewing subscription for Chargebee customer " + customerId(id));
        assertParkedWithoutGrant(id);
    }

    @Test
    void aTrialIsExtendedFromItsEndAndGrantsStack() {
        long id = nextId();
        long trialEnd = epochIn(Duration.ofDays(45));
        stubGrantable(id, subscriptionOf(id, "in_trial", trialEnd, trialEnd));

        assertThat(assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted")).contains("trial");
        assertChangedOnce(id, plusMonths(trialEnd, 1));

        // The next grant reads the trial as the first one left it: it stacks on that end.
        long next = nextId();
        long extended = plusMonths(trialEnd, 1);
        CHARGEBEE.reset();
        ObjectNode moved = subscription(subscriptionId(id), customerId(id), "in_trial", CREATED, extended, extended, "USD");
        stubGrantable(id, moved);
        assertAnswer(deliverMonths(next, customerId(id), 2), 200, "granted");
        assertThat(form(changes(id).get(0))).isEqualTo(termEndForm(plusMonths(extended, 2)));
        assertThat(changes(id).get(0).getHeader("chargebee-idempotency-key")).isEqualTo("fulfilment-" + next);
    }

    // once

    // lost answers

    @Test
    void aConflictOnTheSameKeyWhileTheFirstMayStillRunIsRetriedNotParked() {
        long id = nextId();
        long termEnd = epochIn(Duration.ofDays(20));
        ObjectNode subscription = subscriptionOf(id, "active", termEnd, null);
        stubGrantable(id, subscription);
        String path = changeTermEndPath(subscriptionId(id));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("conflict"));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("busy").whenScenarioStateIs("conflict")
                .willReturn(aResponse().withStatus(409).withHeader("Content-Type", "application/json")
                        .withBody(ChargebeeStandIn.error(409, "invalid_request", "request_in_progress", "in progress")))
                .willSetStateTo("done"));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("busy").whenScenarioStateIs("done")
                .willReturn(okJson("{\"subscription\":" + subscription + "}")));

        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");
        fenceOver();
        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");
        assertThat(grantState(id)).isEqualTo("SENT");

        assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted");
        assertThat(changes(id)).hasSize(3).allSatisfy(change -> assertWriteHeaders(change, "fulfilment-" + id));
    }

    @ParameterizedTest(name = "{0} hangs")
    @ValueSource(strings = {"customer", "subscriptions", "change"})
    void answersWithinTenSecondsWhenChargebeeHangs(String hanging) {
        long id = nextId();
        ObjectNode subscription = subscriptionOf(id, "active", epochIn(Duration.ofDays(20)), null);
        stubGrantable(id, subscription);
        String path = switch (hanging) {
            case "customer" -> "/api/v2/customers/" + customerId(id);
            case "subscriptions" -> "/api/v2/subscriptions";
            default -> changeTermEndPath(subscriptionId(id));
        };
        var mapping = hanging.equals("change") ? WireMock.post(urlPathEqualTo(path)) : WireMock.get(urlPathEqualTo(path));
        CHARGEBEE.server().stubFor(mapping.atPriority(1).willReturn(okJson("{}").withFixedDelay(30_000)));

        long started = System.nanoTime();
        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(state(id)).isNotEqualTo("GRANTED");
    }

    /** A first change whose answer was lost: the grant stays SENT; then its key is made older than Chargebee's window. */
    private void loseFirstChangeAndAge(long id, ObjectNode subscription) {
        stubGrantable(id, subscription);
        CHARGEBEE.stubError("POST", changeTermEndPath(subscriptionId(id)), 503, "internal_temporary_error", "try later");
        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");
        assertThat(grantState(id)).isEqualTo("SENT");
        ageGrant(id, Duration.ofMinutes(45));
        CHARGEBEE.reset();
    }

    @Test
    void pastTheKeyWindowATermEndAtTheTargetAfterARenewalIsParkedWithWhatWasSeenNotGranted() {
        long id = nextId();
        long termEnd = epochIn(Duration.ofDays(20));
        ObjectNode before = subscriptionOf(id, "active", termEnd, null);
        // The change answers 503 and does not take effect; then the monthly subscription renews, which
        // moves its term end one month: exactly where the grant of 1 month would have put it.
        loseFirstChangeAndAge(id, before);
        stubGrantable(id, before);
        ObjectNode renewed = CHARGEBEE.renew(before);
        long target = plusMonths(termEnd, 1);
        assertThat(renewed.path("current_term_end").asLong()).isEqualTo(target);

        String reason = assertAnswer(deliverMonths(id, customerId(id), 1), 202, "parked");

        // No date proves the change landed: parked with what was seen, never answered granted.
        assertThat(reason).contains(subscriptionId(id), Instant.ofEpochSecond(termEnd).toString(),
                Instant.ofEpochSecond(target).toString(), "fulfilment-" + id, "renewal");
        assertThat(allPosts()).isEmpty();
        assertThat(CHARGEBEE.current(subscriptionId(id)).path("current_term_end").asLong()).isEqualTo(target);
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();

        // FirstPromoter delivers it again: the change may have landed, so only an operator applies it now.
        assertThat(assertAnswer(deliverMonths(id, customerId(id), 1), 202, "parked")).isEqualTo(reason);
        assertThat(allPosts()).isEmpty();
        assertThat(CHARGEBEE.current(subscriptionId(id)).path("current_term_end").asLong()).isEqualTo(target);
        assertThat(state(id)).isEqualTo("PARKED");
    }

    @Test
    void pastTheKeyWindowATermEndStillAtItsBaseIsSentUnderTheNextKey() {
        long id = nextId();
        long termEnd = epochIn(Duration.ofDays(20));
        loseFirstChangeAndAge(id, subscriptionOf(id, "active", termEnd, null));
        stubGrantable(id, subscriptionOf(id, "active", termEnd, null));

        assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted");

        assertThat(changes(id)).hasSize(1);
        assertWriteHeaders(changes(id).get(0), "fulfilment-" + id + "-2");
        assertThat(form(changes(id).get(0))).isEqualTo(termEndForm(plusMonths(termEnd, 1)));
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(jdbc.queryForObject("SELECT key_generation FROM billing_grants WHERE fulfilment_id = ?", Integer.class, id))
                .isEqualTo(2);
    }

    @Test
    void pastTheKeyWindowATermEndMovedElsewhereIsParkedWithWhatWasSeen() {
        long id = nextId();
        long termEnd = epochIn(Duration.ofDays(20));
        loseFirstChangeAndAge(id, subscriptionOf(id, "active", termEnd, null));
        long elsewhere = epochIn(Duration.ofDays(90));
        stubGrantable(id, subscriptionOf(id, "active", elsewhere, null));

        String reason = assertAnswer(deliverMonths(id, customerId(id), 1), 202, "parked");

        assertThat(reason).contains(subscriptionId(id), Instant.ofEpochSecond(elsewhere).toString(), "cannot be told",
                Instant.ofEpochSecond(plusMonths(termEnd, 1)).toString());
        assertThat(allPosts()).isEmpty();
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
    }

    // Chargebee failing or refusing

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {500, 429}) // 503: BillingPortContract
    void aTransientFailureOfTheChangeIsAnswered503AndGrantedOnTheNextDelivery(int status) {
        long id = nextId();
        long termEnd = epochIn(Duration.ofDays(20));
        ObjectNode subscription = subscriptionOf(id, "active", termEnd, null);
        stubGrantable(id, subscription);
        String path = changeTermEndPath(subscriptionId(id));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("down").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                        .withBody(ChargebeeStandIn.error(status, "operation_failed", "internal_error", "failure")))
                .willSetStateTo("up"));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("down").whenScenarioStateIs("up")
                .willReturn(okJson("{\"subscription\":" + subscription + "}")));

        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");
        fenceOver();
        assertThat(state(id)).isNotEqualTo("GRANTED");

        assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted");

        assertThat(changes(id)).hasSize(2).allSatisfy(change -> {
            assertWriteHeaders(change, "fulfilment-" + id);
            assertThat(form(change)).isEqualTo(termEndForm(plusMonths(termEnd, 1)));
        });
        assertThat(CHARGEBEE.effects(path)).isEqualTo(1);
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {500, 401})
    void aFailingCustomerLookupIsAnswered503WithNothingStored(int status) {
        long id = nextId();
        CHARGEBEE.stubError("GET", "/api/v2/customers/" + customerId(id), status, "failure", "failure " + status);

        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");

        assertThat(grantState(id)).isNull();
        CHARGEBEE.reset();
        stubGrantable(id, subscriptionOf(id, "active", epochIn(Duration.ofDays(20)), null));
        assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted");
    }

}
