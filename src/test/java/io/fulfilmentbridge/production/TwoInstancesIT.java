package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 1: two bridge JVMs on one PostgreSQL and one broker receive the same fulfilments at the
 * same moment (as two FirstPromoter retries landing on two instances behind a load balancer): each
 * fulfilment is granted once.
 */
@Order(1)
class TwoInstancesIT extends ProductionSupport {

    private static final int FULFILMENTS = 150;

    @Test
    void theSameFulfilmentsAtTheSameMomentOnTwoInstancesAreGrantedOnceEach() throws Exception {
        BridgeProcess[] bridges = Bridges.both();
        drainPayouts(Duration.ofMillis(500));
        long started = System.nanoTime();

        MixedBatch batch = mixedBatch(FULFILMENTS);
        Map<Long, Integer> kinds = batch.kinds();
        Map<Long, String> bodies = batch.bodies();

        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Answer>> answers = new ArrayList<>();
        Map<Future<Answer>, Long> idOf = new HashMap<>();
        for (long id : bodies.keySet()) {
            CyclicBarrier sameMoment = new CyclicBarrier(2);
            for (BridgeProcess bridge : bridges) {
                Future<Answer> answer = pool.submit(() -> {
                    sameMoment.await(30, TimeUnit.SECONDS);
                    return deliver(bridge, bodies.get(id));
                });
                answers.add(answer);
                idOf.put(answer, id);
            }
        }
        int sent = 0;
        int appliedNow = 0;
        int answeredBefore = 0;
        int retries = 0;
        long slowest = 0;
        List<Long> unsettled = new ArrayList<>();
        Map<Long, Integer> settledAnswers = new HashMap<>();
        for (Future<Answer> future : answers) {
            Answer answer = future.get(60, TimeUnit.SECONDS);
            sent++;
            slowest = Math.max(slowest, answer.millis());
            assertInContract(answer);
            if (answer.appliedNow()) {
                appliedNow++;
            } else if (answer.settled()) {
                answeredBefore++;
            } else {
                retries++;
            }
            if (answer.settled()) {
                settledAnswers.merge(idOf.get(future), 1, Integer::sum);
            }
        }
        pool.shutdown();
        // FirstPromoter retries what was answered 503.
        int redelivered = 0;
        for (long id : bodies.keySet()) {
            if (!settledAnswers.containsKey(id)) {
                unsettled.add(id);
            }
        }
        for (long id : unsettled) {
            Answer answer;
            do {
                answer = deliver(bridges[redelivered++ % 2], bodies.get(id));
                sent++;
                if (!answer.settled()) {
                    BridgeProcess.sleep(1000);
                }
            } while (!answer.settled() && redelivered < 200);
            assertThat(answer.settled()).as("fulfilment %d: %s", id, answer).isTrue();
            if (answer.appliedNow()) {
                appliedNow++;
            }
        }

        // The invariant, in the database, on the queue and in Stripe.
        List<Long> cashIds = new ArrayList<>();
        kinds.forEach((id, kind) -> {
            if (kind == 1) {
                cashIds.add(id);
            }
        });
        awaitOutboxEmpty(cashIds, Duration.ofSeconds(30));
        // The outbox is empty: every payout (and any duplicate) is on the queue already.
        List<Payout> payouts = drainPayouts(Duration.ofSeconds(1));
        Map<String, List<ServeEvent>> posts = stripePosts();
        int grants = 0;
        for (Map.Entry<Long, Integer> entry : kinds.entrySet()) {
            long id = entry.getKey();
            switch (entry.getValue()) {
                case 0 -> {
                    assertThat(ledgerEntries(id)).as("credits %d", id).isEqualTo(2);
                    assertThat(state(id)).isEqualTo("GRANTED");
                }
                case 1 -> {
                    assertThat(payouts.stream().filter(p -> p.fulfilmentId() == id).count()).as("cash %d", id).isEqualTo(1);
                    assertThat(state(id)).isEqualTo("QUEUED");
                }
                default -> {
                    assertThat(posts.getOrDefault("/v1/subscriptions/" + subscriptionId(id), List.of())).as("free months %d", id).hasSize(1);
                    assertThat(state(id)).isEqualTo("GRANTED");
                }
            }
            grants++;
        }
        assertThat(ledgerSum()).isEqualByComparingTo("0");
        assertThat(unbalancedFulfilments()).isEmpty();
        assertThat(appliedNow).isEqualTo(FULFILMENTS);

        long elapsed = (System.nanoTime() - started) / 1_000_000;
        summary(String.format("scenario 1 (two instances, same moment): fulfilments %d (%d credits, %d cash, %d free months), "
                        + "deliveries sent %d, grants %d (applied-now answers %d), duplicates refused %d (answered 'before' %d, 503 %d), "
                        + "payout messages %d, Stripe updates %d, slowest answer %d ms, elapsed %d ms",
                FULFILMENTS, Collections.frequency(kinds.values(), 0), Collections.frequency(kinds.values(), 1),
                Collections.frequency(kinds.values(), 2), sent, grants, appliedNow, answeredBefore + retries, answeredBefore,
                retries, payouts.stream().filter(p -> kinds.containsKey(p.fulfilmentId())).count(),
                kinds.keySet().stream().mapToInt(id -> posts.getOrDefault("/v1/subscriptions/" + subscriptionId(id), List.of()).size()).sum(),
                slowest, elapsed));
    }
}
