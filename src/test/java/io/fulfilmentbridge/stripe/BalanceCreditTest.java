package io.fulfilmentbridge.stripe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.StripeStandIn.item;
import static io.fulfilmentbridge.StripeStandIn.list;
import static io.fulfilmentbridge.StripeStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.test.context.TestPropertySource;

/** Free months as a credit on the customer's Stripe balance, end to end against the Stripe stand-in. */
@TestPropertySource(properties = "bridge.stripe.free-months-strategy=balance-credit")
class BalanceCreditTest extends StripeBridgeSupport {

    private static final long CREATED = Instant.parse("2024-01-15T00:00:00Z").getEpochSecond();

    private static String priced(String id, long unitAmount, long quantity, String currency, String interval,
                                 long intervalCount) {
        return item(id, unitAmount, quantity, currency, interval, intervalCount, epochIn(Duration.ofDays(20)));
    }

    /** Stubs the customer with one active subscription of these items. */
    private static void stubSubscription(long id, String... items) {
        STRIPE.stubCustomer(customerId(id));
        STRIPE.stubSubscriptions(customerId(id),
                subscription(subscriptionId(id), customerId(id), "active", CREATED, null, List.of(items)));
    }

    private static String balancePath(long id) {
        return "/v1/customers/" + customerId(id) + "/balance_transactions";
    }

    private static String balanceTransaction(long id, long amount, String fulfilmentId) {
        return "{\"id\":\"cbtxn_" + id + "\",\"object\":\"customer_balance_transaction\",\"customer\":\"" + customerId(id)
                + "\",\"amount\":" + amount + ",\"currency\":\"usd\",\"metadata\":{\"firstpromoter_fulfilment_id\":\""
                + fulfilmentId + "\"}}";
    }

    /** One page of a list, saying whether more follow. */
    private static String page(String url, List<String> objects, boolean hasMore) {
        return list(url, objects).replace("\"has_more\":false", "\"has_more\":" + hasMore);
    }

    private static Map<String, String> credit(long id, long amount, String currency, int months) {
        return Map.of(
                "amount", Long.toString(-amount),
                "currency", currency,
                "description", "FirstPromoter reward: " + months + " free month" + (months == 1 ? "" : "s"),
                FULFILMENT_METADATA, Long.toString(id));
    }

    /** Exactly one credit reached Stripe, and nothing else was changed there. */
    private void assertCreditedOnce(long id, long amount, String currency, int months) {
        List<LoggedRequest> credits = posts(balancePath(id));
        assertThat(credits).hasSize(1);
        assertGrantHeaders(credits.get(0), id);
        assertThat(form(credits.get(0))).isEqualTo(credit(id, amount, currency, months));
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).hasSize(1);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    private void assertParkedWithoutCredit(long id) {
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).isEmpty();
    }

    @ParameterizedTest(name = "{2} x {3} every {1} {0}(s), {4} month(s) -> {5}")
    @CsvSource({
            "month, 1, 1500,  2, 2, 6000",
            "year,  1, 12000, 1, 1, 1000",
            "year,  1, 10000, 1, 2, 1667",   // 1666.67
            "month, 3, 1000,  1, 1, 333",    // 333.33
            "month, 3, 1000,  1, 2, 667",    // 666.67
            "week,  1, 1000,  1, 1, 4333",   // 4333.33
            "week,  2, 999,   3, 1, 6494",   // 6493.5, half up
    })
    void creditsMonthsOfThePrice(String interval, long intervalCount, long unitAmount, long quantity, int months,
                                 long expected) {
        long id = nextId();
        stubSubscription(id, priced("a" + id, unitAmount, quantity, "usd", interval, intervalCount));
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        String detail = assertAnswer(deliver(id, customerId(id), months), 200, "granted");

        assertThat(detail).contains(expected + " usd");
        assertCreditedOnce(id, expected, "usd", months);
        // Two round trips: the customer with its subscriptions embedded, then the credit.
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "POST " + balancePath(id));
        assertThat(expand(gets("/v1/customers/" + customerId(id)).get(0))).containsExactly("subscriptions");
    }

    @Test
    void sumsItemsBeforeRoundingOnce() {
        long id = nextId();
        // 333.33 each: 667 rounded once, 666 rounded per item.
        stubSubscription(id, priced("a" + id, 1000, 1, "eur", "month", 3), priced("b" + id, 1000, 1, "eur", "month", 3));
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertCreditedOnce(id, 667, "eur", 1);
    }

    @ParameterizedTest(name = "25 seats in packages of 10, rounded {0}: {1}")
    @CsvSource({"up, 3000", "down, 2000"})
    void billsThePackagesOfAPriceWithTransformQuantity(String round, long expected) {
        long id = nextId();
        String packaged = priced("a" + id, 1000, 25, "usd", "month", 1)
                .replace("\"recurring\":", "\"transform_quantity\":{\"divide_by\":10,\"round\":\"" + round + "\"},\"recurring\":");
        stubSubscription(id, packaged);
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertCreditedOnce(id, expected, "usd", 1);
    }

    @Test
    void countsTheItemsPastTheSubscriptionsFirstPage() {
        long id = nextId();
        STRIPE.stubCustomer(customerId(id));
        // The subscription's embedded item list holds the first item only and says more follow.
        STRIPE.stubSubscriptions(customerId(id), subscription(subscriptionId(id), customerId(id), "active", CREATED, null,
                List.of(priced("a" + id, 1000, 1, "usd", "month", 1))).replace("\"has_more\":false", "\"has_more\":true"));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscription_items"))
                .withQueryParam("subscription", equalTo(subscriptionId(id)))
                .withQueryParam("starting_after", equalTo("si_a" + id))
                .willReturn(okJson(page("/v1/subscription_items", List.of(priced("b" + id, 500, 2, "usd", "month", 1)), true))));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/subscription_items"))
                .withQueryParam("subscription", equalTo(subscriptionId(id)))
                .withQueryParam("starting_after", equalTo("si_b" + id))
                .willReturn(okJson(page("/v1/subscription_items", List.of(priced("c" + id, 1200, 1, "usd", "year", 1)), false))));
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        // 10.00 + 2 x 5.00 + 12.00 a year (1.00 a month).
        assertCreditedOnce(id, 2100, "usd", 1);
        assertThat(stripeCalls()).containsExactly("GET /v1/customers/" + customerId(id), "GET /v1/subscription_items",
                "GET /v1/subscription_items", "POST " + balancePath(id));
    }

    @Test
    void parksItemsInTwoCurrencies() {
        long id = nextId();
        stubSubscription(id, priced("a" + id, 1000, 1, "usd", "month", 1), priced("b" + id, 1000, 1, "eur", "month", 1));
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("several currencies");

        assertParkedWithoutCredit(id);
    }

    @Test
    void parksAMeteredItem() {
        long id = nextId();
        String metered = "{\"id\":\"si_m" + id + "\",\"object\":\"subscription_item\",\"quantity\":1,\"current_period_end\":"
                + epochIn(Duration.ofDays(20)) + ",\"price\":{\"id\":\"price_m" + id + "\",\"object\":\"price\","
                + "\"currency\":\"usd\",\"unit_amount\":null,\"recurring\":{\"interval\":\"month\",\"interval_count\":1,"
                + "\"usage_type\":\"metered\"}}}";
        stubSubscription(id, priced("a" + id, 1000, 1, "usd", "month", 1), metered);
        STRIPE.stubBalanceTransactionCreate(customerId(id));

        assertThat(assertAnswer(deliver(id, customerId(id), 1), 202, "parked")).contains("price_m" + id);

        assertParkedWithoutCredit(id);
    }

    @Test
    void aCreditWhoseAnswerWasLostIsSettledByListingTheBalance() {
        long id = nextId();
        stubSubscription(id, priced("a" + id, 1500, 1, "usd", "month", 1));
        // Stripe credits the balance, but answers after the bridge's read timeout (2 s).
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("lost")
                .whenScenarioStateIs(STARTED)
                .willReturn(okJson(balanceTransaction(id, -3000, Long.toString(id))).withFixedDelay(3500))
                .willSetStateTo("credited"));
        STRIPE.server().stubFor(get(urlPathEqualTo(balancePath(id))).inScenario("lost").whenScenarioStateIs("credited")
                .willReturn(okJson(list(balancePath(id), List.of(
                        balanceTransaction(id, -700, "1" + id), balanceTransaction(id, -3000, Long.toString(id)))))));

        long started = System.nanoTime();
        assertAnswer(deliver(id, customerId(id), 2), 503, "retry");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(grantState(id)).isEqualTo("SENT");

        assertAnswer(deliver(id, customerId(id), 2), 200, "granted");

        assertCreditedOnce(id, 3000, "usd", 2);
        assertThat(gets(balancePath(id))).hasSize(1);
    }

    @Test
    void aLostCreditOlderThanTheLatestHundredTransactionsIsFoundOnALaterPage() {
        long id = nextId();
        stubSubscription(id, priced("a" + id, 1500, 1, "usd", "month", 1));
        // Stripe credits the balance, but answers after the bridge's read timeout (2 s); sent again, it would credit again.
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("lost")
                .whenScenarioStateIs(STARTED)
                .willReturn(okJson(balanceTransaction(id, -1500, Long.toString(id))).withFixedDelay(3500))
                .willSetStateTo("credited"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("lost")
                .whenScenarioStateIs("credited").willReturn(okJson(balanceTransaction(id, -1500, Long.toString(id)))));
        // Since then, 100 other transactions: the credit is on the second page, newest first.
        List<String> newer = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            newer.add(balanceTransaction(id, -1, "9" + i + id).replace("cbtxn_" + id, "cbtxn_" + id + "_" + i));
        }
        STRIPE.server().stubFor(get(urlPathEqualTo(balancePath(id))).withQueryParam("starting_after", absent())
                .willReturn(okJson(page(balancePath(id), newer, true))));
        STRIPE.server().stubFor(get(urlPathEqualTo(balancePath(id))).withQueryParam("starting_after", equalTo("cbtxn_" + id + "_99"))
                .willReturn(okJson(page(balancePath(id), List.of(balanceTransaction(id, -1500, Long.toString(id))), false))));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        assertThat(grantState(id)).isEqualTo("SENT");

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        assertCreditedOnce(id, 1500, "usd", 1);
        assertThat(gets(balancePath(id))).hasSize(2);
    }

    @Test
    void aLostCreditPastTheIdempotencyWindowIsSentUnderTheNextKey() {
        long id = nextId();
        stubSubscription(id, priced("a" + id, 1500, 1, "usd", "month", 1));
        // The connection drops before Stripe takes the first request; the next is accepted.
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("up"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("lost").whenScenarioStateIs("up")
                .willReturn(okJson(balanceTransaction(id, -1500, Long.toString(id)))));
        STRIPE.server().stubFor(get(urlPathEqualTo(balancePath(id)))
                .willReturn(okJson(list(balancePath(id), List.of(balanceTransaction(id, -700, "1" + id))))));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        // A day later: Stripe may have forgotten the first key.
        Timestamp dayAgo = Timestamp.from(Instant.now().minus(Duration.ofHours(24)));
        keySentAt(id, dayAgo);

        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        List<LoggedRequest> credits = posts(balancePath(id));
        assertThat(credits).hasSize(2);
        assertThat(credits).extracting(c -> c.getHeader("Idempotency-Key")).containsExactly("fulfilment-" + id, "fulfilment-" + id + "-2");
        assertThat(credits).allSatisfy(c -> assertThat(form(c)).isEqualTo(credit(id, 1500, "usd", 1)));
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aCreditThatNeverTookEffectIsSentAgain() {
        long id = nextId();
        stubSubscription(id, priced("a" + id, 1500, 1, "usd", "month", 1));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("failed")
                .whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(503).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"type\":\"api_error\",\"message\":\"unavailable\"}}"))
                .willSetStateTo("up"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(balancePath(id))).inScenario("failed")
                .whenScenarioStateIs("up").willReturn(okJson(balanceTransaction(id, -1500, Long.toString(id)))));
        // The balance holds another fulfilment's credit only.
        STRIPE.server().stubFor(get(urlPathEqualTo(balancePath(id)))
                .willReturn(okJson(list(balancePath(id), List.of(balanceTransaction(id, -700, "1" + id))))));

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");

        List<LoggedRequest> credits = posts(balancePath(id));
        assertThat(credits).hasSize(2);
        for (LoggedRequest credit : credits) {
            assertGrantHeaders(credit, id);
            assertThat(form(credit)).isEqualTo(credit(id, 1500, "usd", 1));
        }
        assertThat(gets(balancePath(id))).hasSize(1);
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }
}
