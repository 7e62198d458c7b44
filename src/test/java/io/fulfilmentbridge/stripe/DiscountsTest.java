package io.fulfilmentbridge.stripe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.StripeStandIn.item;
import static io.fulfilmentbridge.StripeStandIn.marked;
import static io.fulfilmentbridge.StripeStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Discount units (contract section 10) end to end against the Stripe stand-in: the exact requests Stripe received. */
class DiscountsTest extends StripeBridgeSupport {

    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    private HttpResponse<String> deliverDiscount(long id, String unit, Object amount) {
        return deliver(id, Map.of("unit", unit, "amount", amount, "promoter.cust_id", customerId(id)));
    }

    /** The customer's active subscription, in this currency, holding these discounts. */
    private static String subscriptionWith(long id, String currency, List<String> discounts) {
        String held = discounts.stream().map(d -> "\"" + d + "\"").collect(Collectors.joining(","));
        return subscription(subscriptionId(id), customerId(id), "active", CREATED, null,
                List.of(item("a" + id, 1000, 1, currency, "month", 1, epochIn(Duration.ofDays(20)))))
                .replace("\"metadata\":{}", "\"currency\":\"" + currency + "\",\"discounts\":[" + held + "],\"metadata\":{}");
    }

    private static String subscriptionPath(long id) {
        return "/v1/subscriptions/" + subscriptionId(id);
    }

    private static String balancePath(long id) {
        return "/v1/customers/" + customerId(id) + "/balance_transactions";
    }

    private static String coupon(String couponId, long percentOff, String duration) {
        return "{\"id\":\"" + couponId + "\",\"object\":\"coupon\",\"percent_off\":" + percentOff + ",\"duration\":\""
                + duration + "\",\"valid\":true}";
    }

    private static ResponseDefinitionBuilder stripeError(int status, String code, String message) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}");
    }

    /** A customer with one active subscription that accepts updates. */
    private static void stubCustomer(long id, String subscription) {
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscription);
        STRIPE.stubSubscriptionUpdate(subscriptionId(id), subscription);
    }

    /** Stripe as it is: no such coupon until it is created, then that coupon. */
    private static void stubCouponCreatedOnce(String couponId, long percentOff) {
        String path = "/v1/coupons/" + couponId;
        STRIPE.server().stubFor(get(urlPathEqualTo(path)).inScenario("coupon").whenScenarioStateIs(STARTED)
                .willReturn(stripeError(404, "resource_missing", "No such coupon: '" + couponId + "'")));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo("/v1/coupons")).inScenario("coupon").whenScenarioStateIs(STARTED)
                .willReturn(okJson(coupon(couponId, percentOff, "once"))).willSetStateTo("created"));
        STRIPE.server().stubFor(get(urlPathEqualTo(path)).inScenario("coupon").whenScenarioStateIs("created")
                .willReturn(okJson(coupon(couponId, percentOff, "once"))));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo("/v1/coupons")).inScenario("coupon").whenScenarioStateIs("created")
                .willReturn(stripeError(400, "resource_already_exists", "Coupon already exists.")));
    }

    private static Map<String, String> discountUpdate(long id, String couponId, String... kept) {
        Map<String, String> fields = new java.util.HashMap<>();
        for (int i = 0; i < kept.length; i++) {
            fields.put("discounts[" + i + "][discount]", kept[i]);
        }
        fields.put("discounts[" + kept.length + "][coupon]", couponId);
        fields.put(FULFILMENT_METADATA, Long.toString(id));
        return fields;
    }

    private void assertGranted(long id) {
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    // mon_discount

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mon_discount", "discount_mon"})
    void aFixedDiscountIsOneBalanceCreditInTheSubscriptionsCurrency(String unit) {
        long id = nextId();
        stubCustomer(id, subscriptionWith(id, "eur", List.of()));
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        String detail = assertAnswer(deliverDiscount(id, unit, 2500), 200, "granted");
        assertAnswer(deliverDiscount(id, unit, 2500), 200, "granted");

        assertThat(detail).contains("2500 eur");
        List<LoggedRequest> credits = posts(balancePath(id));
        assertThat(credits).hasSize(1);
        assertGrantHeaders(credits.get(0), id);
        assertThat(form(credits.get(0))).isEqualTo(Map.of(
                "amount", "-2500",
                "currency", "eur",
                "description", "FirstPromoter reward: discount",
                FULFILMENT_METADATA, Long.toString(id)));
        // The customer with its subscriptions embedded, then the credit; the repeat is answered from the record.
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "POST " + balancePath(id));
        assertGranted(id);
    }

    // discount_per

    @Test
    void aPercentageCouponIsCreatedOnceAndAddedBesideTheDiscountsEachSubscriptionHad() {
        long first = nextId();
        long second = nextId();
        String couponId = "firstpromoter-15-percent-once";
        stubCouponCreatedOnce(couponId, 15);
        stubCustomer(first, subscriptionWith(first, "usd", List.of("di_kept1", "di_kept2")));
        stubCustomer(second, subscriptionWith(second, "usd", List.of()));

        assertThat(assertAnswer(deliverDiscount(first, "discount_per", 15), 200, "granted")).contains(couponId);
        assertThat(assertAnswer(deliverDiscount(second, "discount_per", 15), 200, "granted")).contains(couponId);

        List<LoggedRequest> created = posts("/v1/coupons");
        assertThat(created).hasSize(1);
        assertThat(created.get(0).getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + first + "-coupon");
        assertThat(form(created.get(0))).isEqualTo(Map.of(
                "id", couponId, "percent_off", "15", "duration", "once", "name", "FirstPromoter reward: 15% off"));

        List<LoggedRequest> firstUpdate = posts(subscriptionPath(first));
        assertThat(firstUpdate).hasSize(1);
        assertGrantHeaders(firstUpdate.get(0), first);
        assertThat(form(firstUpdate.get(0))).isEqualTo(discountUpdate(first, couponId, "di_kept1", "di_kept2"));
        List<LoggedRequest> secondUpdate = posts(subscriptionPath(second));
        assertThat(secondUpdate).hasSize(1);
        assertGrantHeaders(secondUpdate.get(0), second);
        assertThat(form(secondUpdate.get(0))).isEqualTo(discountUpdate(second, couponId));
        assertThat(stripeCalls()).containsExactly(
                "GET /v1/customers/" + customerId(first), "GET /v1/coupons/" + couponId, "POST /v1/coupons",
                "POST " + subscriptionPath(first),
                "GET /v1/customers/" + customerId(second), "GET /v1/coupons/" + couponId, "POST " + subscriptionPath(second));
        assertGranted(first);
        assertGranted(second);
    }

    @Test
    void aCouponAnotherInstanceMadeFirstIsUsed() {
        long id = nextId();
        String couponId = "firstpromoter-20-percent-once";
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/coupons/" + couponId))
                .willReturn(stripeError(404, "resource_missing", "No such coupon: '" + couponId + "'")));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo("/v1/coupons"))
                .willReturn(stripeError(400, "resource_already_exists", "Coupon already exists.")));
        stubCustomer(id, subscriptionWith(id, "usd", List.of("di_kept")));

        assertAnswer(deliverDiscount(id, "discount_per", 20), 200, "granted");

        assertThat(posts("/v1/coupons")).hasSize(1);
        List<LoggedRequest> updates = posts(subscriptionPath(id));
        assertThat(updates).hasSize(1);
        assertThat(form(updates.get(0))).isEqualTo(discountUpdate(id, couponId, "di_kept"));
        assertGranted(id);
    }

    @Test
    void aDiscountWhoseAnswerWasLostIsSettledByReadingTheSubscription() {
        long id = nextId();
        String couponId = "firstpromoter-30-percent-once";
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/coupons/" + couponId)).willReturn(okJson(coupon(couponId, 30, "once"))));
        String before = subscriptionWith(id, "usd", List.of("di_kept"));
        String after = marked(subscriptionWith(id, "usd", List.of("di_kept", "di_new")), id);
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), before);
        // Stripe applies the update (its marker included), but answers after the bridge's read timeout (2 s).
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(subscriptionPath(id))).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson(after).withFixedDelay(3500)).willSetStateTo("applied"));
        STRIPE.server().stubFor(get(urlPathEqualTo(subscriptionPath(id))).inScenario("lost").whenScenarioStateIs("applied")
                .willReturn(okJson(after)));

        long started = System.nanoTime();
        assertAnswer(deliverDiscount(id, "discount_per", 30), 503, "retry");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(grantState(id)).isEqualTo("SENT");

        assertAnswer(deliverDiscount(id, "discount_per", 30), 200, "granted");

        List<LoggedRequest> updates = posts(subscriptionPath(id));
        assertThat(updates).hasSize(1);
        assertThat(form(updates.get(0))).isEqualTo(discountUpdate(id, couponId, "di_kept"));
        assertThat(gets(subscriptionPath(id))).hasSize(1);
        assertGranted(id);
    }

    // Bounds and what cannot be applied

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "mon_discount, 0", "mon_discount, -1", "mon_discount, 2.5", "mon_discount, 100001",
            "discount_mon, 100001",
            "discount_per, 0", "discount_per, -1", "discount_per, 2.5", "discount_per, 101",
    })
    void anAmountOutOfBoundsIsParkedWithoutAskingStripe(String unit, String amount) {
        long id = nextId();

        assertThat(assertAnswer(deliverDiscount(id, unit, new BigDecimal(amount)), 202, "parked"))
                .contains("amount out of bounds");

        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(STRIPE.server().getAllServeEvents()).isEmpty();
    }

    @Test
    void discountsExactlyAtTheirBoundsAreGranted() {
        long fixed = nextId();
        long percentage = nextId();
        String couponId = "firstpromoter-100-percent-once";
        stubCustomer(fixed, subscriptionWith(fixed, "usd", List.of()));
        STRIPE.stubBalanceTransactionCreate(customerId(fixed));
        stubCouponCreatedOnce(couponId, 100);
        stubCustomer(percentage, subscriptionWith(percentage, "usd", List.of()));

        assertAnswer(deliverDiscount(fixed, "mon_discount", 100000), 200, "granted");
        assertAnswer(deliverDiscount(percentage, "discount_per", 100), 200, "granted");

        List<LoggedRequest> credits = posts(balancePath(fixed));
        assertThat(credits).hasSize(1);
        assertThat(form(credits.get(0))).containsEntry("amount", "-100000").containsEntry("currency", "usd");
        List<LoggedRequest> created = posts("/v1/coupons");
        assertThat(created).hasSize(1);
        assertThat(form(created.get(0))).containsEntry("id", couponId).containsEntry("percent_off", "100");
        assertThat(form(posts(subscriptionPath(percentage)).get(0))).isEqualTo(discountUpdate(percentage, couponId));
        assertGranted(fixed);
        assertGranted(percentage);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "another percent_off | \"percent_off\":25,\"duration\":\"once\" | percent_off 25, duration once",
            "another duration    | \"percent_off\":15,\"duration\":\"forever\" | percent_off 15, duration forever",
            "repeating           | \"percent_off\":15,\"duration\":\"repeating\",\"duration_in_months\":3 | percent_off 15, duration repeating, duration_in_months 3",
    })
    void theBridgesCouponIdFoundWithOtherTermsIsParkedAndNothingWritten(String what, String terms, String named) {
        long id = nextId();
        String couponId = "firstpromoter-15-percent-once";
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/coupons/" + couponId))
                .willReturn(okJson("{\"id\":\"" + couponId + "\",\"object\":\"coupon\"," + terms + "}")));
        stubCustomer(id, subscriptionWith(id, "usd", List.of("di_kept")));

        String reason = assertAnswer(deliverDiscount(id, "discount_per", 15), 202, "parked");

        assertThat(reason).isEqualTo("Stripe coupon " + couponId + " exists with other terms (" + named
                + ") than the reward's (percent_off 15, duration once)");
        assertThat(jdbc.queryForObject("SELECT reason FROM fulfilments WHERE fulfilment_id = ?", String.class, id)).isEqualTo(reason);
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }

    @Test
    void aFixedDiscountForACustomerWhoseBalanceIsInAnotherCurrencyIsParked() {
        long id = nextId();
        String subscription = subscriptionWith(id, "usd", List.of());
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers/" + customerId(id))).willReturn(okJson(
                "{\"id\":\"" + customerId(id) + "\",\"object\":\"customer\",\"currency\":\"eur\",\"metadata\":{}}")));
        STRIPE.stubSubscriptions(customerId(id), subscription);
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        String reason = assertAnswer(deliverDiscount(id, "mon_discount", 2500), 202, "parked");

        assertThat(reason).isEqualTo("a currency mismatch: the balance of Stripe customer " + customerId(id) + " is in eur, "
                + "subscription " + subscriptionId(id) + " is in usd");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mon_discount", "discount_per"})
    void aCustomerWithoutSubscriptionIsParked(String unit) {
        long id = nextId();
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id));

        assertThat(assertAnswer(deliverDiscount(id, unit, 10), 202, "parked")).contains("no active subscription");

        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }
}
