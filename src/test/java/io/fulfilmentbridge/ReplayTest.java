package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jms.core.JmsTemplate;

/** Operating the bridge through JMX: the parked list, replays applied exactly once, Camel's route counters. */
class ReplayTest extends BridgeTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();

    @Autowired
    private JmsTemplate jms;

    @Autowired
    private CamelContext camel;

    private String replay(long id) throws Exception {
        return (String) JMX.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {id}, new String[] {"long"});
    }

    private String[] parkedList() throws Exception {
        return (String[]) JMX.getAttribute(parkedFulfilmentsMBean(), "Parked");
    }


    private int grantsSentTo(String subscriptionId) {
        return STRIPE.server().findAll(postRequestedFor(urlPathEqualTo("/v1/subscriptions/" + subscriptionId))).size();
    }

    @Test
    void aParkedFreeMonthsRewardIsGrantedOnceByReplayAfterTheCustomerIsAdded() throws Exception {
        long id = nextId();
        String customer = "cus_replay" + id;
        STRIPE.stubError("GET", "/v1/customers/" + customer, 404, "No such customer: '" + customer + "'");
        HttpResponse<String> parked = post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer)));
        assertThat(parked.statusCode()).isEqualTo(202);
        assertThat(json(parked).get("outcome").asText()).isEqualTo("parked");
        assertThat(parkedList()).anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " free_months").contains("No such customer"));

        STRIPE.reset();
        STRIPE.stubGrantableCustomer(customer, "sub_replay" + id);
        JsonNode first = JSON.readTree(replay(id));
        assertThat(first.get("outcome").asText()).isEqualTo("granted");
        assertThat(first.get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(grantsSentTo("sub_replay" + id)).isEqualTo(1);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(parkedList()).noneSatisfy(line -> assertThat(line).startsWith("v1 " + id + " "));

        JsonNode again = JSON.readTree(replay(id));
        assertThat(again.get("outcome").asText()).isEqualTo("ignored");
        assertThat(again.get("detail").asText()).contains("GRANTED");
        assertThat(grantsSentTo("sub_replay" + id)).isEqualTo(1);
        assertThat(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer))).statusCode()).isEqualTo(200);
        assertThat(grantsSentTo("sub_replay" + id)).isEqualTo(1);
    }

    @Test
    void aFreeMonthsAmountParkedAsNotWholeStaysParkedOnReplay() throws Exception {
        long id = nextId();
        String customer = "cus_fraction" + id;
        STRIPE.stubGrantableCustomer(customer, "sub_fraction" + id);
        // Nine decimals: more than the amount column's eight.
        String body = delivery("free-months.json", id, Map.of("promoter.cust_id", customer, "amount", "AMOUNT"))
                .replace("\"AMOUNT\"", "1.000000001");
        HttpResponse<String> parked = post(body);
        assertThat(parked.statusCode()).isEqualTo(202);
        assertThat(json(parked).get("detail").asText()).isEqualTo("amount out of bounds: free months must be a whole number");

        JsonNode replayed = JSON.readTree(replay(id));
        assertThat(replayed.get("outcome").asText()).isEqualTo("parked");
        assertThat(replayed.get("detail").asText()).isEqualTo("amount out of bounds: free months must be a whole number");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantsSentTo("sub_fraction" + id)).isZero();
        assertThat(jdbc.queryForObject("SELECT amount_received FROM fulfilments WHERE fulfilment_id = ?", String.class, id))
                .isEqualTo("1.000000001");
    }

    @Test
    void replayAllWithAReasonGrantsEachOnce() throws Exception {
        String email = "nobody-" + nextId() + "@example.org";
        List<Long> ids = List.of(nextId(), nextId());
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(StripeStandIn.list("/v1/customers", List.of()))));
        for (long id : ids) {
            Map<String, Object> data = new HashMap<>(Map.of("promoter.email", email, "amount", 1));
            data.put("promoter.cust_id", null);
            assertThat(json(post(delivery("free-months.json", id, data))).get("detail").asText())
                    .isEqualTo("no Stripe customer with the promoter's email");
        }
        String customer = "cus_mail" + ids.get(0);
        STRIPE.reset();
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/customers")).withQueryParam("email", equalTo(email))
                .willReturn(okJson(StripeStandIn.list("/v1/customers", List.of(StripeStandIn.customer(customer))))));
        STRIPE.stubGrantableCustomer(customer, "sub_mail" + ids.get(0));

        String summary = (String) JMX.invoke(parkedFulfilmentsMBean(), "replayAllWithReason",
                new Object[] {"no Stripe customer with the promoter's email"}, new String[] {String.class.getName()});
        assertThat(summary).startsWith(ids.size() + " replayed").contains("granted=" + ids.size());
        assertThat(grantsSentTo("sub_mail" + ids.get(0))).isEqualTo(2);
        ids.forEach(id -> assertThat(state(id)).isEqualTo("GRANTED"));
    }

    @Test
    void aFailedPayoutIsReplayedAsANewAttempt() throws Exception {
        long id = nextId();
        assertThat(post(delivery("cash.json", id, Map.of())).statusCode()).isEqualTo(202);
        assertThat(payoutAttempts(id, 1)).containsExactly(1);
        jms.convertAndSend("payouts.results", "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"failed\",\"reference\":\"bank rejected\"}");
        awaitState(id, "FAILED");
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("parked");

        JsonNode replayed = JSON.readTree(replay(id));
        assertThat(replayed.get("outcome").asText()).isEqualTo("queued");
        assertThat(payoutAttempts(id, 1)).containsExactly(2);
        assertThat(JSON.readTree(replay(id)).get("outcome").asText()).isEqualTo("ignored");
        assertThat(payoutAttempts(id, 0)).isEmpty();
    }

    @Test
    void camelRouteMBeansCountEveryDeliveryThatPassedTheChecks() throws Exception {
        String context = camel.getManagementName();
        ObjectName webhookRoute = new ObjectName("org.apache.camel:context=" + context + ",type=routes,name=\"fulfilment-webhook\"");
        ObjectName creditsRoute = new ObjectName("org.apache.camel:context=" + context + ",type=routes,name=\"credits\"");
        long webhookBefore = (Long) JMX.getAttribute(webhookRoute, "ExchangesTotal");
        long creditsBefore = (Long) JMX.getAttribute(creditsRoute, "ExchangesTotal");
        post(delivery("credits.json", nextId(), Map.of()));
        post(delivery("credits.json", nextId(), Map.of("unit", "points")));
        post("[]");
        send(java.net.http.HttpRequest.newBuilder(webhook("token=wrong")).POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
        assertThat((Long) JMX.getAttribute(webhookRoute, "ExchangesTotal") - webhookBefore).isEqualTo(3);
        assertThat((Long) JMX.getAttribute(creditsRoute, "ExchangesTotal") - creditsBefore).isEqualTo(2);
    }

    /** The attempts of this fulfilment's payout messages that arrive, waiting for at least `expected` of them. */
    private List<Integer> payoutAttempts(long id, int expected) throws Exception {
        List<Integer> attempts = new ArrayList<>();
        long until = System.currentTimeMillis() + (expected > 0 ? 5000 : 1000);
        jms.setReceiveTimeout(200);
        while (System.currentTimeMillis() < until && (expected == 0 || attempts.size() < expected)) {
            Message message = jms.receive("payouts");
            if (message instanceof TextMessage text) {
                JsonNode payout = JSON.readTree(text.getText());
                if (payout.get("fulfilment_id").asLong() == id) {
                    attempts.add(payout.get("attempt").asInt());
                    assertThat(message.getStringProperty("_AMQ_DUPL_ID")).isEqualTo("fulfilment-" + id + "-" + payout.get("attempt").asInt());
                }
            }
        }
        return attempts;
    }

    private void awaitState(long id, String expected) throws InterruptedException {
        long until = System.currentTimeMillis() + 5000;
        while (!expected.equals(state(id)) && System.currentTimeMillis() < until) {
            Thread.sleep(50);
        }
        assertThat(state(id)).isEqualTo(expected);
    }
}
