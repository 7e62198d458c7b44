package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 5: the broker is stopped: cash deliveries still answer queued (the outbox holds them), and
 * once the broker is back every queued payout reaches the queue exactly once.
 */
@Order(5)
class BrokerOutageIT extends ProductionSupport {

    private static final int PAYOUTS = 60;

    @Test
    void withTheBrokerStoppedCashIsQueuedAndEveryPayoutArrivesOnceWhenItIsBack() throws Exception {
        assumeTrue(ProductionEnv.canControl("BRIDGE_IT_BROKER_STOP", "BRIDGE_IT_BROKER_START"), "no commands to stop and start the broker");
        BridgeProcess[] bridges = Bridges.both();
        drainPayouts(Duration.ofMillis(500));
        long started = System.nanoTime();
        ProductionEnv.stopBroker();
        long stoppedAt = System.nanoTime();
        List<Long> ids = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        int sent = 0;
        long slowest = 0;
        long healthDownMillis = -1;
        try {
            for (int i = 0; i < PAYOUTS; i++) {
                long id = nextId();
                ids.add(id);
                bodies.add(mixed(id, 1));
                Answer answer = deliver(bridges[i % 2], bodies.get(i));
                sent++;
                slowest = Math.max(slowest, answer.millis());
                assertThat(answer.millis()).isLessThan(10_000);
                assertThat(answer.status()).as(answer.detail()).isEqualTo(202);
                assertThat(answer.outcome()).isEqualTo("queued");
            }
            // Redelivered while the broker is still down: still queued, nothing more.
            for (int i = 0; i < PAYOUTS; i += 3) {
                Answer answer = deliver(bridges[(i + 1) % 2], bodies.get(i));
                sent++;
                assertThat(answer.status()).isEqualTo(202);
                assertThat(answer.detail()).contains("before");
            }
            // Four relay intervals (bridge.cash.relay-interval, 250 ms): none was relayed.
            BridgeProcess.sleep(1000);
            assertThat(outboxRows(ids)).as("payouts waiting in the outbox").isEqualTo(PAYOUTS);
            // Health says so, and answers in time, while the broker is down.
            BridgeProcess.Health downHealth = bridges[0].health("jms");
            assertThat(downHealth.statusCode()).isEqualTo(503);
            assertThat(downHealth.component()).isEqualTo("DOWN");
            // Within the 10 s every answer keeps (contract section 2); its time is in the summary. 5 s
            // was missed by 115 ms on a loaded machine, for a connection attempt the broker's client bounds.
            assertThat(downHealth.millis()).isLessThan(10_000);
            healthDownMillis = downHealth.millis();
        } finally {
            ProductionEnv.startBroker();
        }
        assertThat(bridges[0].awaitHealth("jms", "UP", Duration.ofSeconds(30)).component()).isEqualTo("UP");
        long outage = (System.nanoTime() - stoppedAt) / 1_000_000;
        long backAt = System.nanoTime();
        awaitOutboxEmpty(ids, Duration.ofSeconds(120));
        long relayedIn = (System.nanoTime() - backAt) / 1_000_000;
        // The outbox is empty: every payout (and any duplicate) is on the queue already.
        List<Payout> payouts = drainPayouts(Duration.ofSeconds(1));
        for (long id : ids) {
            List<Payout> mine = payouts.stream().filter(p -> p.fulfilmentId() == id).toList();
            assertThat(mine).as("payout %d", id).hasSize(1);
            assertThat(mine.get(0).duplicateId()).isEqualTo("fulfilment-" + id + "-1");
            assertThat(state(id)).isEqualTo("QUEUED");
        }
        // And the bridges still work on the broker that came back: a new payout arrives.
        long fresh = nextId();
        Answer answer = deliver(bridges[0], mixed(fresh, 1));
        sent++;
        assertThat(answer.status()).isEqualTo(202);
        awaitOutboxEmpty(List.of(fresh), Duration.ofSeconds(30));
        assertThat(drainPayouts(Duration.ofSeconds(1)).stream().filter(p -> p.fulfilmentId() == fresh).count()).isEqualTo(1);
        long elapsed = (System.nanoTime() - started) / 1_000_000;
        summary(String.format("scenario 5 (broker stopped for %d ms; health DOWN answered in %d ms): cash fulfilments %d, deliveries sent %d, answered queued %d, "
                        + "duplicates refused %d, payouts relayed %d ms after the broker was back, payout messages %d (one each), "
                        + "slowest answer %d ms, elapsed %d ms",
                outage, healthDownMillis, PAYOUTS, sent, PAYOUTS, PAYOUTS / 3, relayedIn,
                payouts.stream().filter(p -> ids.contains(p.fulfilmentId())).count(), slowest, elapsed));
    }
}
