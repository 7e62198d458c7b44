package io.fulfilmentbridge.chargebee;

import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.changeTermEndPath;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;

/** Chargebee's API key: refused, health is DOWN until it is accepted again; it reaches no log, answer or table. */
@ExtendWith(OutputCaptureExtension.class)
class ChargebeeKeyTest extends ChargebeeBridgeSupport {

    @LocalManagementPort
    private int managementPort;

    private HttpResponse<String> health() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).GET());
    }

    private static String chargebeeHealth(HttpResponse<String> health) {
        return json(health).get("components").get("chargebee").get("status").asText();
    }

    @Test
    void aRefusedKeyIsDownUntilChargebeeAcceptsItAgain() {
        long id = nextId();
        CHARGEBEE.stubError("GET", "/api/v2/customers/" + customerId(id), 401, "api_authentication_failed",
                "Sorry, authentication failed. Invalid api key");
        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");

        HttpResponse<String> down = health();
        assertThat(down.statusCode()).isEqualTo(503);
        JsonNode chargebee = json(down).get("components").get("chargebee");
        assertThat(chargebee.get("status").asText()).isEqualTo("DOWN");
        assertThat(chargebee.get("details").get("error").asText()).isEqualTo("Chargebee refused the API key (401)");

        CHARGEBEE.reset();
        CHARGEBEE.stubGrantableCustomer(customerId(id), subscriptionId(id), "jane@example.org");
        assertAnswer(deliverMonths(id, customerId(id), 1), 200, "granted");
        assertThat(chargebeeHealth(health())).isEqualTo("UP");
    }

    @Test
    void aKeyRefusedOnTheChangeItselfIsDownAndAnswered503() {
        long id = nextId();
        CHARGEBEE.stubGrantableCustomer(customerId(id), subscriptionId(id), "jane@example.org");
        CHARGEBEE.stubError("POST", changeTermEndPath(subscriptionId(id)), 403, "api_authorization_failed",
                "Sorry, the key does not have permission");

        assertAnswer(deliverMonths(id, customerId(id), 1), 503, "retry");

        assertThat(chargebeeHealth(health())).isEqualTo("DOWN");
    }

    @Test
    void theKeyReachesNoLogAnswerOrTable(CapturedOutput output) {
        List<HttpResponse<String>> answers = new ArrayList<>();
        long granted = nextId();
        CHARGEBEE.stubGrantableCustomer(customerId(granted), subscriptionId(granted), "jane@example.org");
        answers.add(deliverMonths(granted, customerId(granted), 1));
        long refused = nextId();
        CHARGEBEE.stubError("GET", "/api/v2/customers/" + customerId(refused), 401, "api_authentication_failed",
                "Sorry, authentication failed. Invalid api key");
        answers.add(deliverMonths(refused, customerId(refused), 1));
        long parked = nextId();
        CHARGEBEE.stubCustomer(ChargebeeStandIn.customer(customerId(parked), null));
        CHARGEBEE.stubError("GET", "/api/v2/subscriptions", 400, "param_wrong_value", "bad request");
        answers.add(deliverMonths(parked, customerId(parked), 1));
        answers.add(health());

        assertThat(answers.get(0).statusCode()).isEqualTo(200);
        assertThat(answers.get(1).statusCode()).isEqualTo(503);
        assertThat(answers.get(2).statusCode()).isEqualTo(202);
        List<String> secrets = List.of(CHARGEBEE_KEY, BASIC.substring("Basic ".length()));
        for (HttpResponse<String> answer : answers) {
            assertThat(answer.body()).doesNotContain(secrets);
            assertThat(answer.headers().map().toString()).doesNotContain(secrets);
        }
        assertThat(output.getAll()).doesNotContain(secrets);
        for (String table : List.of("fulfilments", "billing_grants")) {
            assertThat(jdbc.queryForList("SELECT * FROM " + table).toString()).as(table).doesNotContain(secrets);
        }
    }
}
