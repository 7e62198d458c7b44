package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A local stand-in for the part of Stripe's API the bridge calls, on WireMock: the demo run and the
 * tests stub customers and subscriptions on it and read back the exact requests it received.
 */
public class StripeStandIn {

    private final WireMockServer server;

    public StripeStandIn(int port) {
        server = new WireMockServer(options().port(port).bindAddress("127.0.0.1"));
        server.start();
    }

    public WireMockServer server() {
        return server;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public void reset() {
        server.resetAll();
    }

    public void stop() {
        server.stop();
    }

    public static String customer(String id) {
        return "{\"id\":\"" + id + "\",\"object\":\"customer\",\"email\":null,\"metadata\":{}}";
    }

    public static String list(String url, List<String> objects) {
        return "{\"object\":\"list\",\"url\":\"" + url + "\",\"has_more\":false,\"data\":["
                + String.join(",", objects) + "]}";
    }

    public static String searchResult(List<String> objects) {
        return "{\"object\":\"search_result\",\"url\":\"/v1/customers/search\",\"has_more\":false,\"next_page\":null,\"data\":["
                + String.join(",", objects) + "]}";
    }

    /** A subscription item with a per-unit price. */
    public static String item(String id, long unitAmount, long quantity, String currency, String interval,
                              long intervalCount, long currentPeriodEnd) {
        return "{\"id\":\"si_" + id + "\",\"object\":\"subscription_item\",\"quantity\":" + quantity
                + ",\"current_period_end\":" + currentPeriodEnd
                + ",\"price\":{\"id\":\"price_" + id + "\",\"object\":\"price\",\"currency\":\"" + currency
                + "\",\"unit_amount\":" + unitAmount + ",\"recurring\":{\"interval\":\"" + interval
                + "\",\"interval_count\":" + intervalCount + ",\"usage_type\":\"licensed\"}}}";
    }

    public static String subscription(String id, String customerId, String status, long created, Long trialEnd,
                                      List<String> items) {
        return "{\"id\":\"" + id + "\",\"object\":\"subscription\",\"customer\":\"" + customerId + "\",\"status\":\""
                + status + "\",\"created\":" + created + ",\"trial_end\":" + trialEnd + ",\"metadata\":{}"
                + ",\"items\":{\"object\":\"list\",\"url\":\"/v1/subscription_items\",\"has_more\":false,\"data\":["
                + items.stream().collect(Collectors.joining(",")) + "]}}";
    }

    /** The subscription as Stripe shows it once a trial extension of this fulfilment took effect: with its marker. */
    public static String marked(String subscription, long fulfilmentId) {
        return subscription.replaceFirst("\"metadata\":\\{\\}",
                "\"metadata\":{\"firstpromoter_fulfilment_id\":\"" + fulfilmentId + "\"}");
    }

    public void stubCustomer(String id) {
        server.stubFor(get(urlPathEqualTo("/v1/customers/" + id)).willReturn(okJson(customer(id))));
    }

    public void stubSubscriptions(String customerId, String... subscriptions) {
        server.stubFor(get(urlPathEqualTo("/v1/subscriptions")).withQueryParam("customer", equalTo(customerId))
                .willReturn(okJson(list("/v1/subscriptions", List.of(subscriptions)))));
    }

    /** Accepts any subscription update, answering with the subscription as given. */
    public void stubSubscriptionUpdate(String subscriptionId, String subscription) {
        server.stubFor(post(urlPathEqualTo("/v1/subscriptions/" + subscriptionId)).willReturn(okJson(subscription)));
    }

    /**
     * A customer with one active monthly subscription (price 10.00 usd, period ending in a day) that
     * accepts grants: the usual happy path.
     */
    public void stubGrantableCustomer(String customerId, String subscriptionId) {
        String subscription = subscription(subscriptionId, customerId, "active", java.time.Instant.now().getEpochSecond() - 86_400,
                null, List.of(item(subscriptionId, 1000, 1, "usd", "month", 1, java.time.Instant.now().getEpochSecond() + 86_400)));
        stubCustomer(customerId);
        stubSubscriptions(customerId, subscription);
        stubSubscriptionUpdate(subscriptionId, subscription);
        stubBalanceTransactionCreate(customerId);
    }

    public void stubBalanceTransactionCreate(String customerId) {
        server.stubFor(post(urlPathEqualTo("/v1/customers/" + customerId + "/balance_transactions"))
                .willReturn(okJson("{\"id\":\"cbtxn_1\",\"object\":\"customer_balance_transaction\",\"customer\":\""
                        + customerId + "\",\"amount\":-1,\"currency\":\"usd\",\"metadata\":{}}")));
    }

    public void stubError(String method, String path, int status, String message) {
        var mapping = method.equals("POST") ? post(urlPathEqualTo(path)) : get(urlPathEqualTo(path));
        server.stubFor(mapping.willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"" + message + "\"}}")));
    }
}
