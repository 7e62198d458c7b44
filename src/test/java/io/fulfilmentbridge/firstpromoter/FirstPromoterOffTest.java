package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fulfilmentbridge.BridgeTest;
import java.time.Duration;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jms.core.JmsTemplate;

/** Without bridge.firstpromoter.api-key (the tests' default) nothing is told to FirstPromoter. */
class FirstPromoterOffTest extends BridgeTest {

    @Autowired
    private FirstPromoterNotifier notifier;

    @Autowired
    private CamelContext camel;

    @Autowired
    private JmsTemplate jms;

    @Test
    void withoutAKeyThereIsNoNotifyRouteAndAPaidPayoutIsOnlyRecordedAsDue() {
        assertThat(notifier.enabled()).isFalse();
        assertThat(camel.getRoute("firstpromoter-notify")).isNull();

        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        jms.send("payouts.results", session -> session.createTextMessage(
                "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_off\"}"));
        await().atMost(Duration.ofSeconds(5)).until(() -> "PAID".equals(state(id)));

        // Due, so a key configured later tells FirstPromoter; but no attempt is made without one.
        notifier.tell(id, 0);
        assertThat(jdbc.queryForMap("SELECT firstpromoter_notice, firstpromoter_attempts FROM fulfilments WHERE fulfilment_id = ?", id))
                .containsEntry("firstpromoter_notice", "DUE").containsEntry("firstpromoter_attempts", 0);
    }
}
