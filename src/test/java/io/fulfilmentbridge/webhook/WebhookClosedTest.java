package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.BridgeTest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.test.annotation.DirtiesContext;

/**
 * Contract section 8: while the webhook route is not running, and from the moment shutdown begins, a
 * delivery gets 503 with the contract's body (retry), never Spring's 404, and nothing is recorded.
 */
@DirtiesContext
class WebhookClosedTest extends BridgeTest {

    @Autowired
    private CamelContext camel;

    @Autowired
    private ConfigurableApplicationContext spring;

    @Test
    void aDeliveryWhileTheRouteIsDownOrShutdownHasBegunIsAnswered503WithTheContractBody() throws Exception {
        long id = nextId();
        String delivery = delivery("credits.json", id, Map.of());

        camel.getRouteController().stopRoute("fulfilment-webhook");
        assertRetryLater(post(delivery));
        assertThat(state(id)).as("nothing recorded").isNull();

        camel.getRouteController().startRoute("fulfilment-webhook");
        HttpResponse<String> after = post(delivery);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(state(id)).isEqualTo("GRANTED");

        // The first step of Spring's shutdown; Tomcat still takes requests after it.
        spring.publishEvent(new ContextClosedEvent(spring));
        HttpResponse<String> during = post(delivery("credits.json", nextId(), Map.of()));
        assertRetryLater(during);
        assertThat(json(during).get("detail").asText()).contains("shutting down");
    }

    private static void assertRetryLater(HttpResponse<String> answer) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode body = json(answer);
        assertThat(body.get("fulfilment_id").isNull()).isTrue();
        assertThat(body.get("outcome").asText()).isEqualTo("retry");
        assertThat(body.get("detail").asText()).isNotBlank();
    }
}
