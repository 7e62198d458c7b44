package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.Admin;
import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.ImmutableRequest;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * A local stand-in for the part of Stripe's API the bridge calls, on WireMock: the demo run and the
 * tests stub customers and subscriptions on it and read back the exact requests it received. A
 * customer asked for with its subscriptions expanded carries them as Stripe does (see
 * {@link EmbeddedSubscriptions}).
 */
public class StripeStandIn {

    private final WireMockServer server;

    public StripeStandIn(int port) {
        server = new WireMockServer(options().port(port).bindAddress("127.0.0.1")
                .extensions(services -> List.of(new EmbeddedSubscriptions(services.getAdmin()))));
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

    /** The customer as Stripe answers it with {@code expand[]=subscriptions}: these embedded, more following or not. */
    public static String withSubscriptions(String customer, String customerId, boolean hasMore, List<String> subscriptions) {
        return customer.substring(0, customer.lastIndexOf('}')) + ",\"subscriptions\":{\"object\":\"list\",\"url\":\"/v1/customers/"
                + customerId + "/subscriptions\",\"has_more\":" + hasMore + ",\"data\":[" + String.join(",", subscriptions) + "]}}";
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

    /**
     * Stripe's customer with {@code expand[]=subscriptions} ({@code data.subscriptions} on search and
     * list): each customer in the answer gains the list object Stripe embeds, the 10 most recent of its
     * subscriptions that are not canceled, {@code has_more} when there are more. Its subscriptions are
     * what the stand-in's {@code GET /v1/subscriptions?customer=<id>&status=all} answers now (the stub
     * that call would match, in its scenario's state), so a test stubs them once for both calls. A
     * customer whose answer already carries {@code subscriptions}, a deleted one, or one whose list call
     * is not stubbed to answer 200 is left as stubbed.
     */
    static final class EmbeddedSubscriptions implements ResponseTransformerV2 {

        private static final ObjectMapper JSON = new ObjectMapper();
        private static final int EMBEDDED = 10;

        private final Admin admin;

        EmbeddedSubscriptions(Admin admin) {
            this.admin = admin;
        }

        @Override
        public String getName() {
            return "embedded-subscriptions";
        }

        @Override
        public Response transform(Response response, ServeEvent serveEvent) {
            Request request = serveEvent.getRequest();
            String path = URI.create(request.getUrl()).getRawPath();
            if (!RequestMethod.GET.equals(request.getMethod()) || response.getStatus() != 200 || !path.startsWith("/v1/customers")) {
                return response;
            }
            Set<String> expand = expand(request.getUrl());
            boolean one = path.matches("/v1/customers/cus_[^/]+") && expand.contains("subscriptions");
            boolean listed = (path.equals("/v1/customers") || path.equals("/v1/customers/search"))
                    && expand.contains("data.subscriptions");
            if (!one && !listed) {
                return response;
            }
            try {
                JsonNode body = JSON.readTree(response.getBodyAsString());
                Iterable<JsonNode> customers = one ? List.of(body) : body.path("data");
                StreamSupport.stream(customers.spliterator(), false).filter(JsonNode::isObject)
                        .forEach(customer -> embed((ObjectNode) customer));
                return Response.Builder.like(response).but().body(JSON.writeValueAsString(body)).build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void embed(ObjectNode customer) {
            String id = customer.path("id").asText();
            if (customer.has("subscriptions") || customer.path("deleted").asBoolean()) {
                return;
            }
            JsonNode listed = listed(id);
            if (listed == null) {
                return;
            }
            List<JsonNode> current = new ArrayList<>();
            listed.path("data").forEach(s -> {
                if (!"canceled".equals(s.path("status").asText())) {
                    current.add(s);
                }
            });
            current.sort(Comparator.comparingLong((JsonNode s) -> s.path("created").asLong()).reversed());
            ObjectNode embedded = customer.putObject("subscriptions");
            embedded.put("object", "list");
            ArrayNode data = embedded.putArray("data");
            current.stream().limit(EMBEDDED).forEach(data::add);
            embedded.put("has_more", current.size() > EMBEDDED);
            embedded.put("url", "/v1/customers/" + id + "/subscriptions");
        }

        /** What the list call for the customer's subscriptions answers now, or null unless a 200 list. */
        private JsonNode listed(String customerId) {
            Request call = ImmutableRequest.create().withMethod(RequestMethod.GET)
                    .withAbsoluteUrl("http://127.0.0.1/v1/subscriptions?customer="
                            + URLEncoder.encode(customerId, StandardCharsets.UTF_8) + "&status=all&limit=100")
                    .build();
            List<Scenario> scenarios = admin.getAllScenarios().getScenarios();
            // WireMock's order: the highest priority, then the latest stub.
            ResponseDefinition answer = admin.listAllStubMappings().getMappings().stream()
                    .sorted(Comparator.comparingInt((StubMapping m) -> m.getPriority() == null ? 5 : m.getPriority())
                            .thenComparing(Comparator.comparingLong(StubMapping::getInsertionIndex).reversed()))
                    .filter(m -> m.getRequest().match(call).isExactMatch())
                    .filter(m -> m.isIndependentOfScenarioState() || scenarios.stream().anyMatch(sc ->
                            sc.getName().equals(m.getScenarioName()) && Objects.equals(sc.getState(), m.getRequiredScenarioState())))
                    .map(StubMapping::getResponse).findFirst().orElse(null);
            if (answer == null || answer.getStatus() != 200 || answer.getFault() != null || answer.getBody() == null) {
                return null;
            }
            try {
                JsonNode list = JSON.readTree(answer.getBody());
                return "list".equals(list.path("object").asText()) ? list : null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The fields expand[] names, however stripe-java numbers them (expand[0], expand[1]...). */
        private static Set<String> expand(String url) {
            String query = URI.create(url).getRawQuery();
            if (query == null) {
                return Set.of();
            }
            return Arrays.stream(query.split("&")).map(pair -> pair.split("=", 2))
                    .filter(kv -> kv.length == 2 && URLDecoder.decode(kv[0], StandardCharsets.UTF_8).matches("expand\\[\\d*]"))
                    .map(kv -> URLDecoder.decode(kv[1], StandardCharsets.UTF_8)).collect(Collectors.toSet());
        }
    }
}
