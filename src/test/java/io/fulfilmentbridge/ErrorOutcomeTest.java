package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.reset;

import io.fulfilmentbridge.fulfilment.RewardLimits;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;

/** A bug answers 500 with the contract's body, applies nothing, and does not block the next delivery. */
class ErrorOutcomeTest extends BridgeTest {

    @MockitoSpyBean
    private RewardLimits limits;

    @Test
    void aBugIsAnswered500AndNothingIsApplied() {
        long id = nextId();
        doThrow(new IllegalStateException("a bug")).when(limits).credits(argThat(f -> f.id() == id));

        HttpResponse<String> response = post(delivery("credits.json", id, Map.of()));
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(json(response).get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(json(response).get("outcome").asText()).isEqualTo("error");
        assertThat(response.body()).doesNotContain("a bug");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = ?", Integer.class, id)).isZero();

        reset(limits);
        HttpResponse<String> next = post(delivery("credits.json", id, Map.of()));
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = ?", Integer.class, id)).isEqualTo(2);
    }
}
