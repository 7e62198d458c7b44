package io.fulfilmentbridge.firstpromoter;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.fulfilmentbridge.BridgeTest;
import java.time.Duration;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Without bridge.firstpromoter.v1-api-key no legacy reward is told to FirstPromoter, even with the v2 key
 * and account set: the notify route runs (for v2 commissions) but reads no v1 row, since a
 * fulfilment_pending delivery's id is a v1 payout id, which v2's call must never get.
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.api-key=fp_test_v2_key",
        "bridge.firstpromoter.account-id=acc_test_account",
        "bridge.firstpromoter.poll-interval=100ms"})
class FirstPromoterOffTest extends BridgeTest {

    private static final WireMockServer FIRSTPROMOTER =
            new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    static {
        FIRSTPROMOTER.start();
    }

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", () -> "http://127.0.0.1:" + FIRSTPROMOTER.port());
        registry.add("bridge.firstpromoter.v1-api-base", () -> "http://127.0.0.1:" + FIRSTPROMOTER.port());
    }

    @AfterAll
    static void stopFirstPromoter() {
        FIRSTPROMOTER.stop();
    }

    @Autowired
    private FirstPromoterNotifier notifier;

    @Autowired
    private CamelContext camel;

    @Autowired
    private JmsTemplate jms;

    @Test
    void withoutTheV1KeyAPaidPayoutIsOnlyRecordedAsDue() throws InterruptedException {
        assertThat(notifier.enabled()).as("for v2 commissions").isTrue();
        assertThat(camel.getRoute("firstpromoter-notify")).isNotNull();
        assertThat(notifier.legacySource()).as("matches no row").isEqualTo("none");
        assertThat(notifier.commissionSource()).isEqualTo("v2");

        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        jms.send("payouts.results", session -> session.createTextMessage(
                "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_off\"}"));
        await().atMost(Duration.ofSeconds(5)).until(() -> "PAID".equals(state(id)));

        // Due, so a v1 key configured later tells FirstPromoter; but no attempt is made without one.
        notifier.tell("v1", id, 0);
        Thread.sleep(1000);
        assertThat(jdbc.queryForMap("SELECT firstpromoter_notice, firstpromoter_attempts FROM fulfilments WHERE fulfilment_id = ?", id))
                .containsEntry("firstpromoter_notice", "DUE").containsEntry("firstpromoter_attempts", 0);
        // On a shared database (PostgreSQL in CI) other tests' v2 commissions may be closed meanwhile: only this one counts.
        assertThat(FIRSTPROMOTER.findAll(anyRequestedFor(anyUrl())))
                .as("nothing about this legacy reward reached FirstPromoter, and no v1 call at all")
                .noneMatch(request -> request.getUrl().contains(Long.toString(id)) || request.getBodyAsString().contains(Long.toString(id))
                        || request.getUrl().startsWith("/api/v1/"));
    }
}
