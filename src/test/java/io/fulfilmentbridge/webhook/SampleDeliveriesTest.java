package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.BridgeTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** FirstPromoter's own sample deliveries, exactly as shared, each twice. */
class SampleDeliveriesTest extends BridgeTest {

    @Test
    void theThreeSamplesAreGrantedGrantedAndQueuedOnce() {
        STRIPE.stubGrantableCustomer("cus_Pq7Xb2LrT0aZ1c", "sub_sample");

        for (int delivery = 1; delivery <= 2; delivery++) {
            assertAnswer(post(sample("free-months.json")), 200, 90, "granted");
            assertAnswer(post(sample("credits.json")), 200, 91, "granted");
            assertAnswer(post(sample("cash.json")), 202, 92, "queued");
        }
        assertThat(STRIPE.server().findAll(com.github.tomakehurst.wiremock.client.WireMock
                .postRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo("/v1/subscriptions/sub_sample")))).hasSize(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = 91", Integer.class)).isEqualTo(2);
        assertThat(state(90)).isEqualTo("GRANTED");
        assertThat(state(91)).isEqualTo("GRANTED");
        assertThat(state(92)).isEqualTo("QUEUED");
    }

    private static void assertAnswer(HttpResponse<String> response, int status, long id, String outcome) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(json(response).get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(json(response).get("outcome").asText()).isEqualTo(outcome);
    }
}
