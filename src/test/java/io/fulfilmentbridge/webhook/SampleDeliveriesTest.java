package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.BridgeTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class SampleDeliveriesTest extends BridgeTest {

    @Test
    void creditsSampleIsGrantedWithNumericStrings() {
        HttpResponse<String> response = post(sample("credits.json").replace("\"id\": \"91\"", "\"id\": \"" + nextId() + "\""));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(json(response).get("outcome").asText()).isEqualTo("granted");
    }
}
