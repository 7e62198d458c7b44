package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.customer;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.promotionalCredit;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.params.provider.ValueSource;

/** Discount units in Chargebee: mon_discount as promotional credits; discount_per parked, naming Chargebee. */
class ChargebeeDiscountsTest extends ChargebeeBridgeSupport {

    private static final String CREDITS = "/api/v2/promotional_credits/add";

    private HttpResponse<String> deliverDiscount(long id, String unit, Object amount) {
        return deliver("free-months.json", id, Map.of("unit", unit, "amount", amount, "promoter.cust_id", customerId(id)));
    }

    private static void stubCustomerIn(long id, String currency) {
        CHARGEBEE.stubCustomer(customer(customerId(id), "jane@example.org"));
        CHARGEBEE.stubSubscriptions(customerId(id), subscription(subscriptionId(id), customerId(id), "active",
                Instant.parse("2024-01-15T00:00:00Z").getEpochSecond(), Instant.now().plus(Duration.ofDays(20)).getEpochSecond(),
                null, currency));
        CHARGEBEE.stubAddPromotionalCredits(customerId(id), currency);
    }

    private static Map<String, String> creditForm(long id, long amount, String currency) {
        return Map.of("customer_id", customerId(id), "amount", Long.toString(amount), "currency_code", currency,
                "description", "FirstPromoter reward: discount (fulfilment-" + id + ")", "credit_type", "referral_rewards",
                "reference", "fulfilment-" + id);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mon_discount", "discount_mon"})
    void aFixedDiscountIsPromotionalCreditsInTheSubscriptionsCurrency(String unit) {
        long id = nextId();
        stubCustomerIn(id, "EUR");

        String detail = assertAnswer(deliverDiscount(id, unit, 2500), 200, "granted");
        assertAnswer(deliverDiscount(id, unit, 2500), 200, "granted");

        assertThat(detail).contains("2500 EUR", customerId(id));
        List<LoggedRequest> credits = posts(CREDITS);
        assertThat(credits).hasSize(1);
        assertWriteHeaders(credits.get(0), "fulfilment-" + id);
        assertThat(form(credits.get(0))).isEqualTo(creditForm(id, 2500, "EUR"));
        assertThat(chargebeeCalls()).containsExactly("GET /api/v2/customers/" + customerId(id), "GET /api/v2/subscriptions",
                "POST " + CREDITS);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aCreditWhoseAnswerWasLostIsFoundByItsReferenceAndNotAddedTwice() {
        long id = nextId();
        stubCustomerIn(id, "USD");
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(CREDITS))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertAnswer(deliverDiscount(id, "mon_discount", 700), 503, "retry");
        fenceOver();
        assertThat(grantState(id)).isEqualTo("SENT");

        // Chargebee had added it: its reference is the grant's marker.
        CHARGEBEE.reset();
        CHARGEBEE.stubPromotionalCredits(customerId(id), promotionalCredit("pc_other", customerId(id), 700, "USD", "fulfilment-1"),
                promotionalCredit("pc_" + id, customerId(id), 700, "USD", "fulfilment-" + id));

        assertAnswer(deliverDiscount(id, "mon_discount", 700), 200, "granted");

        assertThat(allPosts()).isEmpty();
        LoggedRequest read = CHARGEBEE.server().findAll(getRequestedFor(urlPathEqualTo("/api/v2/promotional_credits"))).get(0);
        assertThat(query(read)).containsEntry("customer_id[is]", customerId(id)).containsKey("created_at[after]");
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aCreditThatNeverArrivedIsSentAgainUnderTheNextKeyPastTheWindow() {
        long id = nextId();
        stubCustomerIn(id, "USD");
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(CREDITS))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertAnswer(deliverDiscount(id, "mon_discount", 700), 503, "retry");
        fenceOver();
        ageGrant(id, Duration.ofHours(2));
        CHARGEBEE.reset();
        CHARGEBEE.stubPromotionalCredits(customerId(id), promotionalCredit("pc_other", customerId(id), 700, "USD", "fulfilment-1"));
        CHARGEBEE.stubAddPromotionalCredits(customerId(id), "USD");

        assertAnswer(deliverDiscount(id, "mon_discount", 700), 200, "granted");

        assertThat(posts(CREDITS)).hasSize(1);
        assertWriteHeaders(posts(CREDITS).get(0), "fulfilment-" + id + "-2");
        assertThat(form(posts(CREDITS).get(0))).isEqualTo(creditForm(id, 700, "USD"));
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aRefusedCreditIsParkedWithChargebeesMessage() {
        long id = nextId();
        stubCustomerIn(id, "USD");
        CHARGEBEE.stubError("POST", CREDITS, 400, "param_wrong_value", "currency_code : invalid value " + id);

        assertThat(assertAnswer(deliverDiscount(id, "mon_discount", 700), 202, "parked"))
                .isEqualTo("Chargebee refused (add promotional credits, 400): currency_code : invalid value " + id
                        + " (param_wrong_value)");
        assertThat(grantState(id)).isNull();
    }

    @Test
    void aPercentageDiscountIsParkedNamingChargebeeWithoutACall() {
        long id = nextId();
        stubCustomerIn(id, "USD");

        String reason = assertAnswer(deliverDiscount(id, "discount_per", 15), 202, "parked");

        assertThat(reason).startsWith("discount_per is not applied in Chargebee");
        assertThat(chargebeeCalls()).isEmpty();
        assertThat(state(id)).isEqualTo("PARKED");
    }

    @Test
    void parksACustomerWithoutASubscriptionToCredit() {
        long id = nextId();
        CHARGEBEE.stubCustomer(customer(customerId(id), null));

        assertThat(assertAnswer(deliverDiscount(id, "mon_discount", 700), 202, "parked"))
                .isEqualTo("no active, in-trial or non-renewing subscription for Chargebee customer " + customerId(id));
        assertThat(allPosts()).isEmpty();
    }
}
