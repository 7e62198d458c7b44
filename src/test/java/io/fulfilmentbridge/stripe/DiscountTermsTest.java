package io.fulfilmentbridge.stripe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.fulfilmentbridge.StripeStandIn.item;
import static io.fulfilmentbridge.StripeStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A percentage discount with the reward's own terms (contract 10): the provider coupon FirstPromoter
 * names, or the bridge's own coupon with the reward's duration. A legacy delivery carries no terms, so
 * these are v2 commissions, claimed in the records and applied by the real discounts route; the
 * exact requests the Stripe stand-in received are asserted.
 */
class DiscountTermsTest extends StripeBridgeSupport {

    private static final String COMMISSION_METADATA = "metadata[firstpromoter_commission_id]";
    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    @Autowired
    private FulfilmentClaims claims;

    @Autowired
    private ProducerTemplate producer;

    /** A v2 commission's discount, claimed as a delivery would and applied by route discounts: its answer. */
    private Answer applyCommission(long id, long percent, DiscountTerms terms) throws Exception {
        Fulfilment reward = new Fulfilment(new FulfilmentKey(Source.COMMISSION, id), "evt-" + id, "discount_per",
                BigDecimal.valueOf(percent), "approved", 7L, customerId(id), null, Recipient.promoter(7L), terms);
        Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));
        Claim claim = claims.claim(reward, deadline);
        assertThat(claim.held()).isTrue();
        Exchange done = producer.send("direct:discounts", exchange -> {
            exchange.getIn().setBody(reward);
            exchange.setProperty("claim", claim);
            exchange.setProperty("deadline", deadline);
        });
        assertThat(done.getException()).isNull();
        return done.getProperty("answer", Answer.class);
    }

    /** The customer's active usd subscription, holding one discount, accepting updates. */
    private static void stubCustomer(long id) {
        String subscription = subscription(subscriptionId(id), customerId(id), "active", CREATED, null,
                List.of(item("a" + id, 1000, 1, "usd", "month", 1, epochIn(Duration.ofDays(20)))))
                .replace("\"metadata\":{}", "\"currency\":\"usd\",\"discounts\":[\"di_kept\"],\"metadata\":{}");
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id), subscription);
        STRIPE.stubSubscriptionUpdate(subscriptionId(id), subscription);
    }

    private static void stubCoupon(String couponId, String terms) {
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/coupons/" + couponId))
                .willReturn(okJson("{\"id\":\"" + couponId + "\",\"object\":\"coupon\"," + terms + ",\"valid\":true}")));
    }

    private static void stubNoCoupon(String couponId) {
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/coupons/" + couponId)).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\",\"message\":\"No such coupon: '"
                        + couponId + "'\"}}")));
    }

    /** The subscription update: the discount it had re-sent, the coupon added, the commission's marker. */
    private static Map<String, String> discountUpdate(long id, String couponId) {
        Map<String, String> fields = new HashMap<>();
        fields.put("discounts[0][discount]", "di_kept");
        fields.put("discounts[1][coupon]", couponId);
        fields.put(COMMISSION_METADATA, Long.toString(id));
        return fields;
    }

    private static void assertUpdatedOnce(long id, String couponId) {
        List<LoggedRequest> updates = posts("/v1/subscriptions/" + subscriptionId(id));
        assertThat(updates).hasSize(1);
        assertThat(updates.get(0).getHeader("Idempotency-Key")).isEqualTo("commission-" + id);
        assertThat(form(updates.get(0))).isEqualTo(discountUpdate(id, couponId));
    }

    private void assertParkedWithNothingWritten(long id, Answer answer, String reason) {
        assertThat(answer.outcome()).isEqualTo(Outcome.PARKED);
        assertThat(answer.detail()).isEqualTo(reason);
        assertThat(jdbc.queryForMap("SELECT source, state, reason FROM fulfilments WHERE fulfilment_id = ?", id))
                .isEqualTo(Map.of("source", "v2", "state", "PARKED", "reason", reason));
        assertThat(grantState(id)).isNull();
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "once,      , firstpromoter-15-percent-once,        FirstPromoter reward: 15% off",
            "forever,   , firstpromoter-15-percent-forever,     FirstPromoter reward: 15% off forever",
            "repeating, 3, firstpromoter-15-percent-repeating-3, FirstPromoter reward: 15% off for 3 months",
    })
    void theBridgesOwnCouponHasTheRewardsDuration(String duration, Integer months, String couponId, String name) throws Exception {
        long id = nextId();
        stubNoCoupon(couponId);
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo("/v1/coupons")).willReturn(okJson("{\"id\":\"" + couponId
                + "\",\"object\":\"coupon\",\"percent_off\":15,\"duration\":\"" + duration + "\"}")));
        stubCustomer(id);

        Answer answer = applyCommission(id, 15, new DiscountTerms(null, duration, months));

        assertThat(answer.outcome()).as(answer.detail()).isEqualTo(Outcome.GRANTED);
        assertThat(answer.detail()).isEqualTo("discount: coupon " + couponId + " (15% off) added to " + subscriptionId(id));
        List<LoggedRequest> created = posts("/v1/coupons");
        assertThat(created).hasSize(1);
        assertThat(created.get(0).getHeader("Idempotency-Key")).isEqualTo("commission-" + id + "-coupon");
        Map<String, String> coupon = new HashMap<>(Map.of("id", couponId, "percent_off", "15", "duration", duration, "name", name));
        if (months != null) {
            coupon.put("duration_in_months", months.toString());
        }
        assertThat(form(created.get(0))).isEqualTo(coupon);
        assertUpdatedOnce(id, couponId);
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "GET /v1/coupons/" + couponId,
                "POST /v1/coupons", "POST /v1/subscriptions/" + subscriptionId(id));
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void theBridgesOwnRepeatingCouponOfOtherMonthsIsParked() throws Exception {
        long id = nextId();
        stubCoupon("firstpromoter-15-percent-repeating-3", "\"percent_off\":15,\"duration\":\"repeating\",\"duration_in_months\":6");
        stubCustomer(id);

        Answer answer = applyCommission(id, 15, new DiscountTerms(null, "repeating", 3));

        assertParkedWithNothingWritten(id, answer, "Stripe coupon firstpromoter-15-percent-repeating-3 exists with other terms "
                + "(percent_off 15, duration repeating, duration_in_months 6) than the reward's (percent_off 15, duration "
                + "repeating, duration_in_months 3)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "percent_off of the reward | \"percent_off\":15,\"duration\":\"forever\"",
            "amount_off in the subscription's currency | \"amount_off\":500,\"currency\":\"usd\",\"duration\":\"once\"",
    })
    void theProviderCouponFirstPromoterNamesIsAddedAndNeverCreated(String what, String terms) throws Exception {
        long id = nextId();
        stubCoupon("fp_summer", terms);
        stubCustomer(id);

        Answer answer = applyCommission(id, 15, new DiscountTerms("fp_summer", "repeating", 40));

        assertThat(answer.outcome()).as(answer.detail()).isEqualTo(Outcome.GRANTED);
        assertThat(answer.detail()).isEqualTo("discount: coupon fp_summer, which FirstPromoter's reward names, added to "
                + subscriptionId(id));
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "GET /v1/coupons/fp_summer",
                "POST /v1/subscriptions/" + subscriptionId(id));
        assertUpdatedOnce(id, "fp_summer");
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aProviderCouponStripeDoesNotHaveIsParked() throws Exception {
        long id = nextId();
        stubNoCoupon("fp_gone");
        stubCustomer(id);

        Answer answer = applyCommission(id, 15, new DiscountTerms("fp_gone", "once", null));

        assertParkedWithNothingWritten(id, answer, "Stripe has no coupon fp_gone, which FirstPromoter's reward names");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "another percentage | \"percent_off\":20,\"duration\":\"once\" | Stripe coupon fp_other, which FirstPromoter's reward names, takes 20% off, and the reward is 15%",
            "amount_off in another currency | \"amount_off\":500,\"currency\":\"eur\",\"duration\":\"once\" | a currency mismatch: Stripe coupon fp_other, which FirstPromoter's reward names, takes 500 eur (minor units) off, and subscription SUB is in usd",
    })
    void aProviderCouponWithOtherTermsIsParkedNamingBoth(String what, String terms, String reason) throws Exception {
        long id = nextId();
        stubCoupon("fp_other", terms);
        stubCustomer(id);

        Answer answer = applyCommission(id, 15, new DiscountTerms("fp_other", "once", null));

        assertParkedWithNothingWritten(id, answer, reason.replace("SUB", subscriptionId(id)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "repeating,   , '(repeating)'",
            "repeating, 37, '(repeating, 37 months)'",
            "weekly,      , '(weekly)'",
    })
    void aDurationNoCouponCanHaveIsParkedWithoutAskingStripe(String duration, Integer months, String named) throws Exception {
        long id = nextId();
        stubCustomer(id);

        Answer answer = applyCommission(id, 15, new DiscountTerms(null, duration, months));

        assertThat(answer.outcome()).isEqualTo(Outcome.PARKED);
        assertThat(answer.detail()).isEqualTo("the reward's discount duration " + named
                + " is not one a Stripe coupon can have: once, forever, or repeating for 1 to 36 months");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(STRIPE.server().getAllServeEvents()).isEmpty();
    }
}
