package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2: kill -9 of a bridge JVM in the middle of a burst of 500 mixed fulfilments; it is
 * restarted and FirstPromoter redelivers every fulfilment: each is applied exactly once.
 */
@Order(2)
class CrashIT extends ProductionSupport {

    private static final int FULFILMENTS = 500;
    private static final int KILL_AFTER = 150;

    @Test
    void aBridgeKilledMidBurstAppliesEveryFulfilmentExactlyOnceAfterRedelivery() throws Exception {
        BridgeProcess victim = Bridges.b();
        BridgeProcess survivor = Bridges.a();
        drainPayouts(Duration.ofMillis(500));
        long started = System.nanoTime();

        MixedBatch batch = mixedBatch(FULFILMENTS);
        Map<Long, Integer> kinds = batch.kinds();
        Map<Long, String> bodies = batch.bodies();

        // The burst, all to the victim, killed once KILL_AFTER have been answered.
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger appliedBeforeKill = new AtomicInteger();
        AtomicInteger lostAnswers = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        Object killed = new Object();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        for (long id : kinds.keySet()) {
            pool.submit(() -> {
                sent.incrementAndGet();
                Answer answer = deliver(victim, bodies.get(id));
                if (!answer.answered()) {
                    lostAnswers.incrementAndGet();
                    return;
                }
                if (answer.appliedNow()) {
                    appliedBeforeKill.incrementAndGet();
                }
                if (answered.incrementAndGet() == KILL_AFTER) {
                    synchronized (killed) {
                        victim.kill9();
                    }
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        long killedAt = (System.nanoTime() - started) / 1_000_000;
        assertThat(victim.isAlive()).isFalse();
        String[] inFlight = jdbc.queryForList("SELECT state FROM fulfilments WHERE fulfilment_id IN ("
                + String.join(",", kinds.keySet().stream().map(String::valueOf).toList()) + ") AND state = 'RECEIVED'", String.class)
                .toArray(String[]::new);

        victim.start();

        // FirstPromoter redelivers every fulfilment, to either instance (several at a time, as its
        // retries of different fulfilments do), until each is settled.
        AtomicInteger redeliveryCount = new AtomicInteger();
        AtomicInteger appliedAfterCount = new AtomicInteger();
        AtomicInteger answeredBeforeCount = new AtomicInteger();
        AtomicInteger retryCount = new AtomicInteger();
        AtomicLong slowestAnswer = new AtomicLong();
        BridgeProcess[] bridges = {victim, survivor};
        List<Long> pending = new ArrayList<>(kinds.keySet());
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        ExecutorService redeliver = Executors.newFixedThreadPool(8);
        try {
            while (!pending.isEmpty() && System.nanoTime() < deadline) {
                List<Future<Long>> round = new ArrayList<>();
                for (long id : pending) {
                    BridgeProcess to = bridges[redeliveryCount.getAndIncrement() % 2];
                    round.add(redeliver.submit(() -> {
                        Answer answer = deliver(to, bodies.get(id));
                        slowestAnswer.accumulateAndGet(answer.millis(), Math::max);
                        assertInContract(answer);
                        if (answer.appliedNow()) {
                            appliedAfterCount.incrementAndGet();
                        } else if (answer.settled()) {
                            answeredBeforeCount.incrementAndGet();
                        } else {
                            retryCount.incrementAndGet();
                            return id;
                        }
                        return null;
                    }));
                }
                List<Long> next = new ArrayList<>();
                for (Future<Long> unsettled : round) {
                    Long id = unsettled.get(60, TimeUnit.SECONDS);
                    if (id != null) {
                        next.add(id);
                    }
                }
                pending = next;
                if (!pending.isEmpty()) {
                    BridgeProcess.sleep(500);
                }
            }
        } finally {
            redeliver.shutdownNow();
        }
        assertThat(pending).as("fulfilments never settled").isEmpty();
        int redeliveries = redeliveryCount.get();
        int appliedAfter = appliedAfterCount.get();
        int answeredBefore = answeredBeforeCount.get();
        int retries = retryCount.get();
        long slowest = slowestAnswer.get();

        List<Long> cashIds = kinds.entrySet().stream().filter(e -> e.getValue() == 1).map(Map.Entry::getKey).toList();
        awaitOutboxEmpty(cashIds, Duration.ofSeconds(60));
        // The outbox is empty: every payout (and any duplicate) is on the queue already.
        List<Payout> payouts = drainPayouts(Duration.ofSeconds(1));
        Map<String, List<ServeEvent>> posts = stripePosts();
        int credits = 0;
        int cash = 0;
        int freeMonths = 0;
        int stripeUpdates = 0;
        for (Map.Entry<Long, Integer> entry : kinds.entrySet()) {
            long id = entry.getKey();
            switch (entry.getValue()) {
                case 0 -> {
                    assertThat(ledgerEntries(id)).as("credits %d", id).isEqualTo(2);
                    assertThat(state(id)).isEqualTo("GRANTED");
                    credits++;
                }
                case 1 -> {
                    List<Payout> mine = payouts.stream().filter(p -> p.fulfilmentId() == id).toList();
                    assertThat(mine).as("cash %d", id).hasSize(1);
                    assertThat(mine.get(0).duplicateId()).isEqualTo("fulfilment-" + id + "-1");
                    assertThat(state(id)).isEqualTo("QUEUED");
                    cash++;
                }
                default -> {
                    List<ServeEvent> updates = posts.getOrDefault("/v1/subscriptions/" + subscriptionId(id), List.of());
                    assertThat(updates).as("free months %d", id).hasSize(1);
                    assertThat(updates.get(0).getRequest().getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + id);
                    assertThat(state(id)).isEqualTo("GRANTED");
                    stripeUpdates += updates.size();
                    freeMonths++;
                }
            }
        }
        assertThat(ledgerSum()).isEqualByComparingTo("0");
        assertThat(unbalancedFulfilments()).isEmpty();
        // A fulfilment the killed JVM committed but could not answer is answered "before" on redelivery.
        int committedUnanswered = FULFILMENTS - appliedBeforeKill.get() - appliedAfter;
        assertThat(committedUnanswered).as("no fulfilment is answered as newly applied twice").isBetween(0, lostAnswers.get());

        long elapsed = (System.nanoTime() - started) / 1_000_000;
        summary(String.format("scenario 2 (kill -9 mid-burst): fulfilments %d (%d credits, %d cash, %d free months), burst deliveries %d "
                        + "(answered %d, no answer %d, JVM killed after %d answers at %d ms, %d claims left RECEIVED), redeliveries %d, "
                        + "grants %d (applied before kill %d, committed by the killed JVM without an answer %d, after restart %d), duplicates refused %d ('before' answers), 503 retries %d, "
                        + "payout messages %d, Stripe updates %d, slowest answer %d ms, elapsed %d ms",
                FULFILMENTS, credits, cash, freeMonths, sent.get(), answered.get(), lostAnswers.get(), KILL_AFTER, killedAt,
                inFlight.length, redeliveries, credits + cash + freeMonths, appliedBeforeKill.get(), committedUnanswered, appliedAfter, answeredBefore,
                retries, payouts.stream().filter(p -> kinds.containsKey(p.fulfilmentId())).count(), stripeUpdates, slowest, elapsed));
    }
}
