package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 4: PostgreSQL is stopped in the middle of a stream of credits and cash deliveries: the
 * bridge answers 503 in time, nothing is half applied, and after the restart every fulfilment is
 * applied exactly once.
 */
@Order(4)
class DatabaseOutageIT extends ProductionSupport {

    @Test
    void theDatabaseStoppedMidRunAnswers503AndNothingIsHalfApplied() throws Exception {
        assumeTrue(ProductionEnv.canControl("BRIDGE_IT_DB_STOP", "BRIDGE_IT_DB_START"), "no commands to stop and start the database");
        BridgeProcess bridge = Bridges.a();
        drainPayouts(Duration.ofMillis(500));
        long started = System.nanoTime();

        Map<Long, Integer> kinds = new ConcurrentHashMap<>();
        Map<Long, String> bodies = new ConcurrentHashMap<>();
        Map<Long, Boolean> settled = new ConcurrentHashMap<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger during503 = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        AtomicInteger slowest = new AtomicInteger();
        AtomicBoolean down = new AtomicBoolean();
        AtomicBoolean back = new AtomicBoolean();
        AtomicInteger settledAfterBack = new AtomicInteger();
        List<String> bad = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int thread = t;
            pool.submit(() -> {
                int n = 0;
                while (sending.get()) {
                    long id = nextId();
                    int kind = (thread + n++) % 2;
                    kinds.put(id, kind);
                    bodies.put(id, mixed(id, kind));
                    Answer answer = deliver(bridge, bodies.get(id));
                    sent.incrementAndGet();
                    slowest.accumulateAndGet((int) answer.millis(), Math::max);
                    if (!answer.answered() || answer.millis() >= 10_000 || !List.of(200, 202, 503).contains(answer.status())) {
                        bad.add(id + ": " + answer);
                    }
                    if (answer.settled()) {
                        settled.put(id, true);
                        if (back.get()) {
                            settledAfterBack.incrementAndGet();
                        }
                    } else if (answer.status() == 503) {
                        if (down.get()) {
                            during503.incrementAndGet();
                        } else {
                            other.incrementAndGet();
                        }
                    }
                    BridgeProcess.sleep(50);
                }
            });
        }
        // The stream is running (deliveries settled) before the database goes.
        awaitAtLeast(settled::size, 20, Duration.ofSeconds(10));
        down.set(true);
        ProductionEnv.stopDatabase();
        long stoppedAt = System.nanoTime();
        BridgeProcess.sleep(2000);
        // Health says so, and answers in time, while the database is down.
        BridgeProcess.Health downHealth = bridge.health("db");
        // Down until deliveries were answered 503 for it (at most as long as before), not a fixed time.
        awaitAtLeast(during503::get, 8, Duration.ofSeconds(6));
        ProductionEnv.startDatabase();
        long outage = (System.nanoTime() - stoppedAt) / 1_000_000;
        down.set(false);
        BridgeProcess.Health backHealth = bridge.awaitHealth("db", "UP", Duration.ofSeconds(20));
        // The stream goes on until deliveries made after the restart are settled again.
        back.set(true);
        awaitAtLeast(settledAfterBack::get, 20, Duration.ofSeconds(20));
        assertThat(downHealth.statusCode()).isEqualTo(503);
        assertThat(downHealth.component()).isEqualTo("DOWN");
        assertThat(downHealth.millis()).isLessThan(5000);
        assertThat(backHealth.component()).isEqualTo("UP");
        sending.set(false);
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(bad).as("answers outside the contract").isEmpty();
        assertThat(during503.get()).as("503s while the database was down").isPositive();

        // Nothing half applied: every fulfilment is either fully applied or not at all.
        for (long id : kinds.keySet()) {
            int entries = ledgerEntries(id);
            assertThat(entries).as("ledger entries of %d", id).isIn(0, 2);
        }
        assertThat(unbalancedFulfilments()).isEmpty();
        assertThat(ledgerSum()).isEqualByComparingTo("0");

        // FirstPromoter retries what was not settled; everything is applied once.
        int redeliveries = 0;
        List<Long> pending = new ArrayList<>(kinds.keySet().stream().filter(id -> !settled.containsKey(id)).toList());
        int unsettled = pending.size();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            List<Long> next = new ArrayList<>();
            for (long id : pending) {
                Answer answer = deliver(bridge, bodies.get(id));
                redeliveries++;
                if (!answer.settled()) {
                    next.add(id);
                }
            }
            pending = next;
            if (!pending.isEmpty()) {
                BridgeProcess.sleep(500);
            }
        }
        assertThat(pending).as("never settled after the database came back").isEmpty();
        List<Long> cashIds = kinds.entrySet().stream().filter(e -> e.getValue() == 1).map(Map.Entry::getKey).toList();
        awaitOutboxEmpty(cashIds, Duration.ofSeconds(60));
        // The outbox is empty: every payout (and any duplicate) is on the queue already.
        List<Payout> payouts = drainPayouts(Duration.ofSeconds(1));
        for (Map.Entry<Long, Integer> entry : kinds.entrySet()) {
            long id = entry.getKey();
            if (entry.getValue() == 0) {
                assertThat(ledgerEntries(id)).as("credits %d", id).isEqualTo(2);
                assertThat(state(id)).isEqualTo("GRANTED");
            } else {
                assertThat(payouts.stream().filter(p -> p.fulfilmentId() == id).count()).as("cash %d", id).isEqualTo(1);
                assertThat(state(id)).isEqualTo("QUEUED");
            }
        }
        assertThat(ledgerSum()).isEqualByComparingTo("0");
        long elapsed = (System.nanoTime() - started) / 1_000_000;
        summary(String.format("scenario 4 (PostgreSQL stopped for %d ms mid-run; health DOWN answered in " + downHealth.millis() + " ms): fulfilments %d (%d credits, %d cash), deliveries sent %d "
                        + "+ redeliveries %d, 503 while down %d (other 503 %d), unsettled after the outage %d, grants %d, "
                        + "payout messages %d, half-applied 0, slowest answer %d ms, elapsed %d ms",
                outage, kinds.size(), kinds.size() - cashIds.size(), cashIds.size(), sent.get(),
                redeliveries, during503.get(), other.get(), unsettled, kinds.size(),
                payouts.stream().filter(p -> kinds.containsKey(p.fulfilmentId())).count(), slowest.get(), elapsed));
    }

    /** Waits until the count reaches at least n, or the time is up. */
    private static void awaitAtLeast(java.util.function.IntSupplier count, int n, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (count.getAsInt() < n && System.nanoTime() < end) {
            BridgeProcess.sleep(100);
        }
    }
}
