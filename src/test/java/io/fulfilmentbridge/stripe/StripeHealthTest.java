package io.fulfilmentbridge.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.BridgeTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;

/** A Stripe key that Stripe refuses turns health DOWN until Stripe accepts it again. */
class StripeHealthTest extends BridgeTest {

    @LocalManagementPort
    private int managementPort;

    private HttpResponse<String> health() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).GET());
    }

    @Test
    void aRefusedKeyIsDownUntilStripeAcceptsItAgain() {
        long id = nextId();
        String customer = "cus_health" + id;
        STRIPE.stubError("GET", "/v1/customers/" + customer, 401, "Invalid API Key provided");
        assertThat(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer))).statusCode()).isEqualTo(503);

        HttpResponse<String> down = health();
        assertThat(down.statusCode()).isEqualTo(503);
        JsonNode stripe = json(down).get("components").get("stripe");
        assertThat(stripe.get("status").asText()).isEqualTo("DOWN");
        assertThat(down.body()).doesNotContain(STRIPE_KEY);

        STRIPE.reset();
        STRIPE.stubGrantableCustomer(customer, "sub_health" + id);
        assertThat(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer))).statusCode()).isEqualTo(200);
        assertThat(json(health()).get("components").get("stripe").get("status").asText()).isEqualTo("UP");
    }

    @Test
    void aKeyRefusedOnTheGrantItselfIsDownToo() {
        long id = nextId();
        String customer = "cus_health" + id;
        STRIPE.stubGrantableCustomer(customer, "sub_health" + id);
        STRIPE.stubError("POST", "/v1/subscriptions/sub_health" + id, 401, "Invalid API Key provided");

        assertThat(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer))).statusCode()).isEqualTo(503);

        HttpResponse<String> down = health();
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(json(down).get("components").get("stripe").get("status").asText()).isEqualTo("DOWN");

        // Another grant Stripe accepts: UP again.
        long next = nextId();
        STRIPE.reset();
        STRIPE.stubGrantableCustomer("cus_health" + next, "sub_health" + next);
        assertThat(post(delivery("free-months.json", next, Map.of("promoter.cust_id", "cus_health" + next))).statusCode())
                .isEqualTo(200);
        assertThat(json(health()).get("components").get("stripe").get("status").asText()).isEqualTo("UP");
    }
}
