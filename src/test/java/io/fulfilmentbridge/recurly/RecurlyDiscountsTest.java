package io.fulfilmentbridge.recurly;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.account;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.creditLineItem;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.error;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.list;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Discount units in Recurly: mon_discount as a pending credit on the account in the subscription's
 * currency, settled by reading the account's credits; discount_per parked, naming Recurly.
 */
class RecurlyDiscountsTest extends RecurlyBridgeSupport {

    private HttpResponse<String> deliverDiscount(long id, String unit, Object amount) {
        return deliver(id, Map.of("unit", unit, "amount", amount, "promoter.cust_id", appId(id)));
    }

    private static void stubAccountWithSubscription(long id, String currency) {
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "active"));
        RECURLY.stubActiveSubscriptions(accountId(id), subscription(subscriptionId(id), accountId(id), "active",
                Instant.now().minus(Duration.ofDays(40)), Instant.now().plus(Duration.ofDays(5)), null, currency));
        RECURLY.stubCreditCreate(accountId(id));
    }

    private static String path(long id) {
        return "/accounts/" + accountId(id) + "/line_items";
    }

    private static void assertCredit(LoggedRequest request, long id, String currency, String unitAmount) {
        assertRecurlyHeaders(request);
        JsonNode body = body(request);
        assertThat(body.get("type").asText()).isEqualTo("credit");
        assertThat(body.get("currency").asText()).isEqualTo(currency);
        assertThat(body.get("unit_amount").decimalValue()).isEqualByComparingTo(unitAmount);
        assertThat(body.get("quantity").asInt()).isEqualTo(1);
        assertThat(body.get("description").asText()).isEqualTo("FirstPromoter reward: discount (fulfilment-" + id + ")");
        assertThat(body.get("custom_fields")).hasSize(1);
        assertThat(body.get("custom_fields").get(0).get("name").asText()).isEqualTo(MARKER_FIELD);
        assertThat(body.get("custom_fields").get(0).get("value").asText()).isEqualTo("fulfilment-" + id);
        assertThat(body.size()).isEqualTo(6);
    }

    @ParameterizedTest
    @CsvSource({"mon_discount, USD, 2500, 25.00", "discount_mon, EUR, 999, 9.99", "mon_discount, JPY, 2500, 2500"})
    void aFixedDiscountIsOneCreditInTheSubscriptionsCurrency(String unit, String currency, long cents, String unitAmount) {
        long id = nextId();
        stubAccountWithSubscription(id, currency);

        String detail = assertAnswer(deliverDiscount(id, unit, cents), 200, "granted");
        assertAnswer(deliverDiscount(id, unit, cents), 200, "granted");

        assertThat(detail).contains(accountId(id)).contains(currency);
        List<LoggedRequest> credits = requests("POST", path(id));
        assertThat(credits).hasSize(1);
        assertCredit(credits.get(0), id, currency, unitAmount);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aCreditWhoseAnswerWasLostIsFoundAmongTheAccountsCreditsAndNotSentAgain() {
        long id = nextId();
        stubAccountWithSubscription(id, "USD");
        String description = "FirstPromoter reward: discount (fulfilment-" + id + ")";
        // Recurly creates the credit but answers after the bridge's read timeout (3 s).
        RECURLY.server().stubFor(WireMock.post(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson("{}").withStatus(201).withFixedDelay(4500)).willSetStateTo("created"));
        RECURLY.server().stubFor(get(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs("created")
                .willReturn(okJson(list(List.of(
                        creditLineItem("lineitemothr", accountId(id), "USD", "5", "a credit the team gave", Instant.now()),
                        creditLineItem("lineitem0001", accountId(id), "USD", "25", description, Instant.now()))))));

        assertAnswer(deliverDiscount(id, "mon_discount", 2500), 503, "retry");
        fenceOver();
        assertThat(grantState(id)).isEqualTo("SENT");
        assertAnswer(deliverDiscount(id, "mon_discount", 2500), 200, "granted");

        assertThat(requests("POST", path(id))).hasSize(1);
        List<LoggedRequest> reads = requests("GET", path(id));
        assertThat(reads).hasSize(1);
        assertRecurlyHeaders(reads.get(0));
        assertThat(reads.get(0).queryParameter("type").firstValue()).isEqualTo("credit");
        assertThat(reads.get(0).queryParameter("begin_time").isPresent()).isTrue();
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aLostCreditThatIsNotOnTheAccountIsSentAgainOnce() {
        long id = nextId();
        stubAccountWithSubscription(id, "USD");
        RECURLY.server().stubFor(WireMock.post(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("sent"));
        RECURLY.server().stubFor(WireMock.post(urlPathEqualTo(path(id))).inScenario("lost").whenScenarioStateIs("sent")
                .willReturn(okJson("{}").withStatus(201)));
        RECURLY.stubCredits(accountId(id), creditLineItem("lineitemothr", accountId(id), "USD", "5",
                "FirstPromoter reward: discount (fulfilment-" + id + "0)", Instant.now()));

        assertAnswer(deliverDiscount(id, "mon_discount", 1500), 503, "retry");
        // Within bridge.billing.may-land-for of the lost send it may still land at Recurly: not sent again.
        assertThat(assertAnswer(deliverDiscount(id, "mon_discount", 1500), 503, "retry")).contains("may still land");
        assertThat(requests("POST", path(id))).hasSize(1);
        fenceOver();

        assertAnswer(deliverDiscount(id, "mon_discount", 1500), 200, "granted");

        List<LoggedRequest> credits = requests("POST", path(id));
        assertThat(credits).hasSize(2);
        credits.forEach(credit -> assertCredit(credit, id, "USD", "15.00"));
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aRefusedCreditIsParkedWithRecurlysMessage() {
        long id = nextId();
        stubAccountWithSubscription(id, "USD");
        RECURLY.server().stubFor(WireMock.post(urlPathEqualTo(path(id)))
                .willReturn(error(422, "validation", "Currency is not enabled for this site")));

        String detail = assertAnswer(deliverDiscount(id, "mon_discount", 1500), 202, "parked");

        assertThat(detail).contains("Recurly refused").contains("Currency is not enabled for this site");
        assertThat(grantState(id)).isNull();
    }

    @Test
    void aPercentageDiscountIsParkedNamingRecurlyWithoutCallingIt() {
        long id = nextId();
        stubAccountWithSubscription(id, "USD");

        String detail = assertAnswer(deliverDiscount(id, "discount_per", 15), 202, "parked");

        assertThat(detail).contains("Recurly").contains("coupon");
        assertThat(recurlyCalls()).isEmpty();
        assertThat(state(id)).isEqualTo("PARKED");
    }

    @Test
    void theDemoStandInHasTheSampleDeliverysAccount() {
        // The stand-in the local demo runs: the sample delivery's cust_id is its account's code.
        RecurlyStandIn demo = RecurlyStandIn.demo(0);
        try {
            HttpResponse<String> account = send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(demo.baseUrl() + "/accounts/code-cus_Pq7Xb2LrT0aZ1c"))
                    .header("Accept", RecurlyStandIn.ACCEPT).header("Authorization", demo.authorization()).GET());
            assertThat(account.statusCode()).isEqualTo(200);
            assertThat(json(account).get("state").asText()).isEqualTo("active");
            HttpResponse<String> withoutVersion = send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(demo.baseUrl() + "/accounts/code-cus_Pq7Xb2LrT0aZ1c"))
                    .header("Accept", "application/json").header("Authorization", demo.authorization()).GET());
            assertThat(withoutVersion.statusCode()).isEqualTo(406);
        } finally {
            demo.stop();
        }
    }
}
