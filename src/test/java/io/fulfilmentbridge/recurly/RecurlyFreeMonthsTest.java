package io.fulfilmentbridge.recurly;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.account;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.error;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.iso;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.moved;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.subscription;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;

/**
 * Free months in Recurly (docs/promises.md, Exactly once) end to end against the Recurly stand-in:
 * the account, the subscription, the next bill date moved once, lost answers settled by reading
 * Recurly. What every billing system promises is BillingPortContract's; these are Recurly's own.
 */
@ExtendWith(OutputCaptureExtension.class)
class RecurlyFreeMonthsTest extends RecurlyBridgeSupport {

    @LocalManagementPort
    private int managementPort;

    private static Instant in(Duration fromNow) {
        return Instant.now().plus(fromNow).truncatedTo(ChronoUnit.SECONDS);
    }

    private static Instant plusMonths(Instant at, int months) {
        return at.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
    }

    /** An open account (code: the app's id) with one active subscription whose next bill is at periodEnd. */
    private static ObjectNode stubGrantable(long id, Instant periodEnd, Instant trialEnd) {
        ObjectNode subscription = subscription(subscriptionId(id), accountId(id), "active", in(Duration.ofDays(-40)),
                periodEnd, trialEnd, "USD");
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "active"));
        RECURLY.stubActiveSubscriptions(accountId(id), subscription);
        RECURLY.stubSubscriptionUpdate(subscriptionId(id), subscription);
        return subscription;
    }

    private HttpResponse<String> deliver(long id, String custId, int months) {
        Map<String, Object> data = new HashMap<>();
        data.put("promoter.cust_id", custId);
        data.put("promoter.email", email(id));
        data.put("amount", months);
        return deliver(id, data);
    }

    /** One update reached Recurly: the next bill date set to the target, the marker with it. */
    private void assertMovedOnce(long id, Instant target) {
        List<LoggedRequest> updates = requests("PUT", "/subscriptions/" + subscriptionId(id));
        assertThat(updates).hasSize(1);
        assertUpdate(updates.get(0), id, target);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    private void assertParkedWithoutGrant(long id) {
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(requests().stream().filter(r -> !r.getMethod().getName().equals("GET"))).isEmpty();
    }

    // The customer: by Recurly's id, by the app's id (the account code), by email.

    @Test
    void anAppIdOfRecurlysIdFormThatNoAccountHasAsIdIsTheCode() {
        long id = nextId();
        String code = "user" + Long.toString(id, 36) + "xyz";
        code = code.substring(0, Math.min(12, code.length()));
        Instant periodEnd = in(Duration.ofDays(3));
        ObjectNode subscription = stubGrantable(id, periodEnd, null);
        RECURLY.stubAccount(account(accountId(id), code, email(id), "active"));

        assertAnswer(deliver(id, code, 1), 200, "granted");

        assertThat(recurlyCalls()).startsWith("GET /accounts/" + code, "GET /accounts/code-" + code);
        assertThat(subscription).isNotNull();
        assertMovedOnce(id, plusMonths(periodEnd, 1));
    }

    @Test
    void fallsBackToTheEmailWhenNoAccountHasTheCustId() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(3));
        stubGrantable(id, periodEnd, null);
        RECURLY.stubAccountsWithEmail(email(id), account(accountId(id), appId(id), email(id), "active"),
                account("closed" + accountId(id).substring(6), "old-" + id, email(id), "inactive"));

        assertAnswer(deliver(id, "unknown-app-id-" + id, 1), 200, "granted");

        assertThat(recurlyCalls()).startsWith("GET /accounts/code-unknown-app-id-" + id,
                "GET /accounts?email=" + email(id).replace("@", "%40") + "&limit=200");
        assertMovedOnce(id, plusMonths(periodEnd, 1));
    }

    @Test
    void aCustIdAndEmailWithURLCharactersStayOneEncodedPathSegmentAndOneQueryValue() {
        long id = nextId();
        String custId = "../subscriptions/x?state=active&a=b c#" + id;
        String email = "o'brien+" + id + "@example.org";
        Instant periodEnd = in(Duration.ofDays(3));
        stubGrantable(id, periodEnd, null);
        RECURLY.stubAccountsWithEmail(email, account(accountId(id), appId(id), email, "active"));
        Map<String, Object> data = new HashMap<>();
        data.put("promoter.cust_id", custId);
        data.put("promoter.email", email);
        data.put("amount", 1);

        assertAnswer(deliver(id, data), 200, "granted");

        assertThat(recurlyCalls()).startsWith(
                "GET /accounts/code-..%2Fsubscriptions%2Fx%3Fstate%3Dactive%26a%3Db%20c%23" + id,
                "GET /accounts?email=o%27brien%2B" + id + "%40example.org&limit=200");
        assertMovedOnce(id, plusMonths(periodEnd, 1));
    }

    @Test
    void parksAClosedAccount() {
        long id = nextId();
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "inactive"));

        assertThat(assertAnswer(deliver(id, appId(id), 1), 202, "parked")).contains("is closed");

        assertParkedWithoutGrant(id);
    }

    @Test
    void parksAnAccountWithoutAnActiveSubscription() {
        long id = nextId();
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "active"));
        RECURLY.stubActiveSubscriptions(accountId(id));

        assertThat(assertAnswer(deliver(id, appId(id), 1), 202, "parked"))
                .contains("no active subscription for Recurly account " + accountId(id));

        assertParkedWithoutGrant(id);
    }

    // The target: stacking and the month-end clamp.

    @Test
    void grantsTheNewestActiveSubscription() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(5));
        ObjectNode older = subscription("old" + subscriptionId(id).substring(3), accountId(id), "active",
                in(Duration.ofDays(-400)), in(Duration.ofDays(9)), null, "USD");
        ObjectNode newest = subscription(subscriptionId(id), accountId(id), "active", in(Duration.ofDays(-10)), periodEnd,
                null, "USD");
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "active"));
        RECURLY.stubActiveSubscriptions(accountId(id), older, newest);
        RECURLY.stubSubscriptionUpdate(subscriptionId(id), newest);

        assertAnswer(deliver(id, appId(id), 1), 200, "granted");

        assertMovedOnce(id, plusMonths(periodEnd, 1));
    }

    @Test
    void aSecondGrantStacksOnTheDateTheFirstSet() {
        long first = nextId();
        long second = nextId();
        Instant periodEnd = in(Duration.ofDays(12));
        ObjectNode before = stubGrantable(first, periodEnd, null);
        ObjectNode after = moved(before, plusMonths(periodEnd, 1), MARKER_FIELD, "fulfilment-" + first);
        RECURLY.server().stubFor(get(urlPathEqualTo("/accounts/" + accountId(first) + "/subscriptions")).inScenario("stack")
                .whenScenarioStateIs("moved").willReturn(okJson(RecurlyStandIn.list(List.of(after)))));
        RECURLY.server().stubFor(put(urlPathEqualTo("/subscriptions/" + subscriptionId(first))).inScenario("stack")
                .whenScenarioStateIs(STARTED).willReturn(okJson(write(after))).willSetStateTo("moved"));

        assertAnswer(deliver(first, appId(first), 1), 200, "granted");
        assertAnswer(deliver(second, appId(first), 2), 200, "granted");

        List<LoggedRequest> updates = requests("PUT", "/subscriptions/" + subscriptionId(first));
        assertThat(updates).hasSize(2);
        assertThat(body(updates.get(1)).get("next_bill_date").asText()).isEqualTo(iso(plusMonths(plusMonths(periodEnd, 1), 2)));
        assertThat(body(updates.get(1)).get("custom_fields").get(0).get("value").asText()).isEqualTo("fulfilment-" + second);
    }

    // Once: concurrent deliveries, lost answers.

    @Test
    void aGrantWhoseAnswerWasLostIsSettledByItsMarkerWithoutASecondUpdate() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(20));
        Instant target = plusMonths(periodEnd, 2);
        ObjectNode before = stubGrantable(id, periodEnd, null);
        ObjectNode after = moved(before, target, MARKER_FIELD, "fulfilment-" + id);
        String path = "/subscriptions/" + subscriptionId(id);
        // Recurly applies the update, but answers after the bridge's read timeout (3 s).
        RECURLY.server().stubFor(put(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson(write(after)).withFixedDelay(4500)).willSetStateTo("applied"));
        RECURLY.server().stubFor(get(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs("applied")
                .willReturn(okJson(write(after))));

        assertAnswer(deliver(id, appId(id), 2), 503, "retry");
        fenceOver();
        assertThat(grantState(id)).isEqualTo("SENT");
        assertThat(state(id)).isNotEqualTo("GRANTED");

        assertAnswer(deliver(id, appId(id), 2), 200, "granted");

        assertMovedOnce(id, target);
        assertThat(requests("GET", path)).hasSize(1);
    }

    @Test
    void aLostGrantWhoseSubscriptionThenRenewedToItsTargetIsGrantedFromTheRenewedDate() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(20));
        Instant target = plusMonths(periodEnd, 1);
        ObjectNode before = stubGrantable(id, periodEnd, null);
        RECURLY.stubSubscription(before);
        String path = "/subscriptions/" + subscriptionId(id);
        // The update answers 503 and does not take effect.
        RECURLY.stubUpdateUnavailable(subscriptionId(id));
        assertAnswer(deliver(id, appId(id), 1), 503, "retry");
        // Then the monthly subscription renews: its next bill date a month later, exactly the grant's target.
        ObjectNode renewed = RECURLY.renew(before);
        assertThat(renewed.path("current_period_ends_at").asText()).isEqualTo(iso(target));
        Instant regranted = plusMonths(target, 1);
        RECURLY.stubUpdateApplies(subscriptionId(id), moved(renewed, regranted, MARKER_FIELD, "fulfilment-" + id), false);
        fenceOver();

        assertAnswer(deliver(id, appId(id), 1), 200, "granted");

        // The marker was not there: the first update never landed, so the month is granted from the renewed date.
        List<LoggedRequest> updates = requests("PUT", path);
        assertThat(updates).hasSize(2);
        assertUpdate(updates.get(0), id, target);
        assertUpdate(updates.get(1), id, regranted);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(RECURLY.current(subscriptionId(id)).path("current_period_ends_at").asText()).isEqualTo(iso(regranted));
    }

    @Test
    void aLostGrantThatDidNotTakeEffectIsSentAgainOnce() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(20));
        Instant target = plusMonths(periodEnd, 1);
        ObjectNode before = stubGrantable(id, periodEnd, null);
        String path = "/subscriptions/" + subscriptionId(id);
        // The connection drops before Recurly applies it; the subscription still shows the date read before.
        RECURLY.server().stubFor(put(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("sent"));
        RECURLY.server().stubFor(put(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs("sent")
                .willReturn(okJson(write(moved(before, target, MARKER_FIELD, "fulfilment-" + id)))));
        RECURLY.stubSubscription(before);

        assertAnswer(deliver(id, appId(id), 1), 503, "retry");
        // Within bridge.billing.may-land-for of the lost send it may still land at Recurly: not sent again yet.
        assertThat(assertAnswer(deliver(id, appId(id), 1), 503, "retry")).contains("may still land");
        assertThat(requests("PUT", path)).hasSize(1);
        fenceOver();
        assertAnswer(deliver(id, appId(id), 1), 200, "granted");

        List<LoggedRequest> updates = requests("PUT", path);
        assertThat(updates).hasSize(2);
        updates.forEach(update -> assertUpdate(update, id, target));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aLostGrantWhoseDateSomeoneElseMovedWithoutItsMarkerIsGrantedFromTheirDate() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(20));
        ObjectNode before = stubGrantable(id, periodEnd, null);
        Instant elsewhere = in(Duration.ofDays(90));
        String path = "/subscriptions/" + subscriptionId(id);
        RECURLY.server().stubFor(put(urlPathEqualTo(path)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        RECURLY.stubSubscription(moved(before, elsewhere, MARKER_FIELD, null));

        assertAnswer(deliver(id, appId(id), 1), 503, "retry");
        RECURLY.server().stubFor(put(urlPathEqualTo(path)).willReturn(okJson(write(moved(before, plusMonths(elsewhere, 1),
                MARKER_FIELD, "fulfilment-" + id)))));
        fenceOver();
        assertAnswer(deliver(id, appId(id), 1), 200, "granted");

        // The marker, written by the same request, is absent: it did not land; never the old target again.
        List<LoggedRequest> updates = requests("PUT", path);
        assertThat(updates).hasSize(2);
        assertUpdate(updates.get(0), id, plusMonths(periodEnd, 1));
        assertUpdate(updates.get(1), id, plusMonths(elsewhere, 1));
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    // Recurly's errors.

    @Test
    void aRefusedKeyIsAnswered503AndHealthIsDownUntilRecurlyAcceptsIt(CapturedOutput output) {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(20));
        stubGrantable(id, periodEnd, null);
        RECURLY.server().stubFor(get(urlPathEqualTo("/accounts/code-" + appId(id))).atPriority(1)
                .willReturn(error(401, "unauthorized", "Invalid API key " + RECURLY_KEY)));

        assertAnswer(deliver(id, appId(id), 1), 503, "retry");
        HttpResponse<String> down = health();
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(json(down).get("components").get("recurly").get("status").asText()).isEqualTo("DOWN");

        RECURLY.reset();
        stubGrantable(id, periodEnd, null);
        assertAnswer(deliver(id, appId(id), 1), 200, "granted");
        assertThat(json(health()).get("components").get("recurly").get("status").asText()).isEqualTo("UP");

        // The key never reaches a log or an answer, as itself or as the Basic credentials.
        String basic = Base64.getEncoder().encodeToString((RECURLY_KEY + ":").getBytes(StandardCharsets.UTF_8));
        assertThat(output.getAll()).doesNotContain(RECURLY_KEY).doesNotContain(basic);
        assertThat(down.body()).doesNotContain(RECURLY_KEY);
    }

    private HttpResponse<String> health() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).GET());
    }
}
