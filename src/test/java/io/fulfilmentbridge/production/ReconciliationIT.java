package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3b: rewards whose every delivery was lost, found in FirstPromoter's list of pending payouts by
 * reconciliation (docs/promises.md, Nothing lost when every delivery failed) on both bridge JVMs: one run at
 * a time applies them, its lease holder is killed -9 midway and restarted, and the next run finishes the
 * work. Each reward is applied once (ledger rows, Stripe's writes) and closed once (FirstPromoter's payout
 * updates).
 */
@Order(3)
class ReconciliationIT extends ProductionSupport {

    private static final java.net.http.HttpClient METRICS = java.net.http.HttpClient.newHttpClient();
    private static final int REWARDS = 240;
    private static final int KILL_AFTER = REWARDS / 4;
    /** Created after the bridges' since and long past the grace. */
    private static final Instant CREATED = RECONCILIATION_SINCE.plus(Duration.ofMinutes(10));

    @Test
    void lostRewardsAreAppliedAndClosedOnceAcrossAKill9MidRun() throws Exception {
        BridgeProcess[] bridges = Bridges.both();
        long started = System.nanoTime();
        // kind by id: 0 credits, 1 points (the ledger), 2 free months (Stripe, crash-safe: reads show a grant made).
        // Stripe first, then every payout listed at once, so that one run finds them all.
        Map<Long, Integer> kinds = new LinkedHashMap<>();
        for (int i = 0; i < REWARDS; i++) {
            long id = nextId();
            kinds.put(id, i % 3);
            if (i % 3 == 2) {
                stubGrantable(id, months(i));
            }
        }
        int i = 0;
        for (Map.Entry<Long, Integer> entry : kinds.entrySet()) {
            long id = entry.getKey();
            Instant created = CREATED.plusSeconds(i);
            switch (entry.getValue()) {
                case 0 -> FIRSTPROMOTER.addPayout(id, "credits", "20", created, 8_000 + i, email(id), "it-" + id);
                case 1 -> FIRSTPROMOTER.addPayout(id, "points", "30", created, 8_000 + i, email(id), null);
                default -> FIRSTPROMOTER.addPayout(id, "free_months", Integer.toString(months(i)), created, 8_000 + i, email(id),
                        customerId(id));
            }
            i++;
        }

        // The run's holder is the instance whose count of applied rewards grows: killed -9 a quarter of the way in.
        BridgeProcess holder = null;
        long applied = 0;
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long[] before = new long[bridges.length];
        while (holder == null && System.nanoTime() < until) {
            for (int b = 0; b < bridges.length && holder == null; b++) {
                BridgeProcess bridge = bridges[b];
                long count = appliedCount(bridge);
                boolean growing = count > before[b];
                before[b] = count;
                if (count >= KILL_AFTER && growing) {
                    holder = bridge;
                    applied = count;
                }
            }
            BridgeProcess.sleep(50);
        }
        assertThat(holder).as("no bridge applied %d listed rewards within 60 s", KILL_AFTER).isNotNull();
        holder.kill9();
        long killedAt = (System.nanoTime() - started) / 1_000_000;
        int grantedAtKill = granted(kinds.keySet());
        int closedAtKill = (int) kinds.keySet().stream().filter(id -> "completed".equals(FIRSTPROMOTER.payoutStatus(id))).count();
        assertThat(grantedAtKill).as("killed mid-run").isLessThan(REWARDS);

        // Restarted at once; meanwhile its run's lease, on the database's clock, is ended as its 3 minutes would end
        // it (ReconciliationTest waits a lease out): the next run, on either instance, takes up the rest.
        holder.launch();
        jdbc.update("UPDATE reconciliation_runs SET lease_until = CURRENT_TIMESTAMP WHERE source = 'v1' AND lease_holder IS NOT NULL");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        List<Long> open = new ArrayList<>(kinds.keySet());
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            open.removeIf(id -> "completed".equals(FIRSTPROMOTER.payoutStatus(id)) && "GRANTED".equals(state(id)));
            BridgeProcess.sleep(250);
        }
        assertThat(open).as("rewards not granted and closed 90 s after the kill").isEmpty();
        long finishedAt = (System.nanoTime() - started) / 1_000_000;
        holder.awaitReady();

        // A run begun after the last close finds nothing left to act on: nothing is applied again.
        Timestamp allClosed = jdbc.queryForObject("SELECT CURRENT_TIMESTAMP", Timestamp.class);
        String summary = null;
        until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (summary == null && System.nanoTime() < until) {
            summary = jdbc.query("SELECT last_summary FROM reconciliation_runs WHERE source = 'v1' AND last_started_at > ? "
                    + "AND last_finished_at >= last_started_at", rs -> rs.next() ? rs.getString(1) : null, allClosed);
            BridgeProcess.sleep(250);
        }
        assertThat(summary).as("a run after the last close").isNotNull().contains(" 0 open rewards to act on").contains("applied 0,");

        Map<String, List<ServeEvent>> posts = stripePosts();
        int ledgerRewards = 0;
        int stripeWrites = 0;
        int closes = 0;
        List<Long> closedTwice = new ArrayList<>();
        for (Map.Entry<Long, Integer> entry : kinds.entrySet()) {
            long id = entry.getKey();
            assertThat(state(id)).as("reward %d", id).isEqualTo("GRANTED");
            if (entry.getValue() == 2) {
                List<ServeEvent> updates = posts.getOrDefault("/v1/subscriptions/" + subscriptionId(id), List.of());
                assertThat(updates).as("free months %d", id).hasSize(1);
                assertThat(updates.get(0).getRequest().getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + id);
                assertThat(ledgerEntries(id)).isZero();
                stripeWrites++;
            } else {
                assertThat(ledgerEntries(id)).as("%s %d", entry.getValue() == 0 ? "credits" : "points", id).isEqualTo(2);
                ledgerRewards++;
            }
            int updates = FIRSTPROMOTER.payoutUpdates(id).size();
            assertThat(updates).as("payout updates of %d", id).isBetween(1, 2);
            FIRSTPROMOTER.payoutUpdates(id).forEach(u -> assertThat(u.getUrl()).endsWith("id=" + id + "&status=completed"));
            if (updates == 2) {
                closedTwice.add(id);
            }
            closes += updates;
        }
        // Notices are sent one at a time per instance, each attempt counted before its call: the one the killed JVM
        // had in flight may be sent again after its back-off, never another.
        assertThat(closedTwice).as("closed twice").hasSizeLessThanOrEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE source = 'v1' AND reconciled_at IS NOT NULL AND fulfilment_id IN ("
                + kinds.keySet().stream().map(String::valueOf).collect(Collectors.joining(",")) + ")", Integer.class))
                .as("records saying reconciliation applied them").isEqualTo(REWARDS);
        assertThat(ledgerSum()).isEqualByComparingTo("0");
        assertThat(unbalancedFulfilments()).isEmpty();
        // No list body, nor a listed promoter's auth_token or temp_password, in either bridge's log.
        for (BridgeProcess bridge : bridges) {
            String log = Files.readString(bridge.logFile(), StandardCharsets.ISO_8859_1);
            assertThat(log).as(bridge.name()).doesNotContain("auth-token-of-promoter-").doesNotContain("temp-password-");
        }

        int listReads = FIRSTPROMOTER.listReads().size();
        summary(String.format("scenario 3b (reconciliation, kill -9 mid-run): lost rewards %d (%d in the ledger, %d free months) over %d pages "
                        + "of %d, %s held the run and was killed at %d ms after %d applied (%d granted, %d closed), all granted and closed "
                        + "at %d ms; ledger rewards %d, Stripe updates %d, payout updates %d (closed twice: %s), list reads %d "
                        + "(the suite's, empty runs included); next run: %s",
                REWARDS, ledgerRewards, stripeWrites, (REWARDS + V1_PAGE_SIZE - 1) / V1_PAGE_SIZE, V1_PAGE_SIZE, holder.name(), killedAt,
                applied, grantedAtKill, closedAtKill, finishedAt, ledgerRewards, stripeWrites, closes, closedTwice, listReads, summary));
    }

    private static int months(int i) {
        return 1 + i % 2;
    }

    private static String email(long id) {
        return "lost" + id + "@example.org";
    }

    private static int granted(java.util.Collection<Long> ids) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE source = 'v1' AND state = 'GRANTED' AND fulfilment_id IN ("
                + ids.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")", Integer.class);
    }

    /** bridge_reconciliation_rewards_total{outcome="applied"} on this instance's metrics (0 when it cannot answer). */
    private static long appliedCount(BridgeProcess bridge) {
        try {
            var response = METRICS.send(HttpRequest.newBuilder(bridge.management("/actuator/prometheus"))
                    .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            for (String line : response.body().split("\n")) {
                if (line.startsWith("bridge_reconciliation_rewards_total{") && line.contains("outcome=\"applied\"")) {
                    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return 0;
        } catch (java.io.IOException notNow) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
