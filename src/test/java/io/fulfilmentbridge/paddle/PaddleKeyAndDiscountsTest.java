package io.fulfilmentbridge.paddle;

import static io.fulfilmentbridge.paddle.PaddleStandIn.customer;
import static io.fulfilmentbridge.paddle.PaddleStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;

/**
 * Paddle's key: refused, it is 503 and health DOWN until Paddle accepts it again, and it is in no log,
 * answer or health body. The discount units Paddle Billing cannot apply are parked naming it, before
 * Paddle is called.
 */
@ExtendWith(OutputCaptureExtension.class)
class PaddleKeyAndDiscountsTest extends PaddleBridgeSupport {

    private static final Instant NEXT_BILLED_AT = Instant.now().plus(Duration.ofDays(20));

    @LocalManagementPort
    private int managementPort;

    private HttpResponse<String> health() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).GET());
    }

    /** Its next billing in 20 days, the same instant however often it is stubbed. */
    private void stubGrantable(long id) {
        PADDLE.stubGrantable(customerId(id), subscriptionId(id), email(id), NEXT_BILLED_AT);
    }

    @Test
    void aRefusedKeyIs503AndHealthDownUntilPaddleAcceptsItAgainAndTheKeyIsNeverShown(CapturedOutput output) {
        long id = nextId();
        PADDLE.stubError("GET", "/customers/" + customerId(id), 401, "authentication_malformed",
                "Authentication header included, but incorrectly formatted");

        HttpResponse<String> refused = deliver(id, customerId(id), 1);
        assertThat(assertAnswer(refused, 503, "retry")).contains("Paddle refused the API key");
        assertThat(refused.body()).doesNotContain(PADDLE_KEY);

        HttpResponse<String> down = health();
        assertThat(down.statusCode()).isEqualTo(503);
        JsonNode paddle = json(down).get("components").get("paddle");
        assertThat(paddle.get("status").asText()).isEqualTo("DOWN");
        assertThat(down.body()).doesNotContain(PADDLE_KEY);

        PADDLE.reset();
        stubGrantable(id);
        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");
        assertThat(json(health()).get("components").get("paddle").get("status").asText()).isEqualTo("UP");

        assertThat(output.getAll()).doesNotContain(PADDLE_KEY).doesNotContain("Bearer ");
        assertThat(jdbc.queryForList("SELECT * FROM billing_grants WHERE fulfilment_id = ?", id).toString())
                .doesNotContain(PADDLE_KEY);
    }

    @Test
    void aKeyRefusedOnTheUpdateIs503AndTheGrantIsSettledOnTheNextDelivery() {
        long id = nextId();
        stubGrantable(id);
        PADDLE.stubError("PATCH", "/subscriptions/" + subscriptionId(id), 403, "forbidden",
                "You aren't permitted to perform this request.");

        assertAnswer(deliver(id, customerId(id), 1), 503, "retry");
        fenceOver();
        assertThat(json(health()).get("components").get("paddle").get("status").asText()).isEqualTo("DOWN");

        PADDLE.reset();
        stubGrantable(id);
        // Read back: still its base, no marker: the refused update had not taken effect, so it is sent again.
        assertAnswer(deliver(id, customerId(id), 1), 200, "granted");
        assertThat(paddleCalls()).containsExactly("GET /subscriptions/" + subscriptionId(id),
                "PATCH /subscriptions/" + subscriptionId(id));
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    @Test
    void aMonetaryDiscountIsParkedNamingPaddleWithoutCallingIt() {
        long id = nextId();
        stubGrantable(id);

        String detail = assertAnswer(post(delivery("free-months.json", id,
                Map.of("unit", "mon_discount", "amount", 500, "promoter.cust_id", customerId(id)))), 202, "parked");

        assertThat(detail).contains("Paddle Billing cannot apply a mon_discount", "transaction");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(paddleCalls()).isEmpty();
    }

    @Test
    void aPercentageDiscountIsParkedNamingPaddleWithoutCallingIt() {
        long id = nextId();
        PADDLE.stubCustomer(customer(customerId(id), email(id), null));
        PADDLE.stubSubscriptions(customerId(id), subscription(subscriptionId(id), customerId(id), "active",
                Instant.parse("2024-04-12T10:18:47Z"), Instant.now().plus(Duration.ofDays(20)), null));

        String detail = assertAnswer(post(delivery("free-months.json", id,
                Map.of("unit", "discount_per", "amount", 15, "promoter.cust_id", customerId(id)))), 202, "parked");

        assertThat(detail).contains("Paddle Billing cannot apply a discount_per", "one discount at a time");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(paddleCalls()).isEmpty();
    }
}
