package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fulfilmentbridge.OwnDatabase;
import io.fulfilmentbridge.firstpromoter.FirstPromoterBudget.Caller;
import io.fulfilmentbridge.firstpromoter.FirstPromoterBudget.Spent;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The shared request budget on the real database (H2 here, CI's PostgreSQL when BRIDGE_TEST_DATASOURCE_URL
 * names it): two instances (two budgets on one DataSource, each with its own clock reading) at 10 a
 * minute never take more than 10 in a window between them, the background never more than 5; a delivery
 * left waiting makes the background yield; a 429 pauses both until its Retry-After. On PostgreSQL in a
 * schema of its own, dropped afterwards: the JVM's other classes keep bridges running on its database,
 * whose notices and reconciliation draw on that database's row.
 */
class FirstPromoterBudgetTest {

    private static final int LIMIT = 10;

    private final OwnDatabase database = new OwnDatabase("budget");
    private final JdbcTemplate jdbc = database.jdbc();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private FirstPromoterBudget first;
    private FirstPromoterBudget second;

    @BeforeEach
    void twoInstances() {
        database.flyway().load().migrate();
        first = budget();
        second = budget();
    }

    @AfterEach
    void drop() {
        database.drop();
    }

    private FirstPromoterBudget budget() {
        FirstPromoterSettings settings = new FirstPromoterSettings("legacy", "", "http://127.0.0.1:9", "", "", "http://127.0.0.1:9",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(5), 6, Duration.ofMinutes(1), Duration.ofHours(24),
                Duration.ofMinutes(5), LIMIT);
        return new FirstPromoterBudget(jdbc, new DatabaseClock(jdbc), settings, meters);
    }

    /** Draws from both instances at once, 8 threads; the windows each taken request counted in. */
    private Map<Instant, Integer> drawMany(Caller caller, int attempts) throws Exception {
        Map<Instant, Integer> taken = new ConcurrentHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> all = new java.util.ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                FirstPromoterBudget instance = i % 2 == 0 ? first : second;
                all.add(threads.submit(() -> {
                    try {
                        taken.merge(instance.take(caller, 0), 1, Integer::sum);
                    } catch (Spent refused) {
                        // counted by what was taken
                    }
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
        return taken;
    }

    private double counted(Caller caller, String outcome) {
        return meters.get("bridge.firstpromoter.budget.waits").tag("class", caller.label()).tag("outcome", outcome).counter().count();
    }

    @Test
    void twoInstancesNeverTakeMoreThanTheLimitInAWindow() throws Exception {
        Map<Instant, Integer> taken = drawMany(Caller.DELIVERY, 40);

        // 40 asked within a second or two: the limit in each window (two windows if a minute turned meanwhile).
        assertThat(taken.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(LIMIT));
        assertThat(taken.values().stream().mapToInt(Integer::intValue).sum()).isBetween(LIMIT, 2 * LIMIT);
        assertThat(counted(Caller.DELIVERY, "refused")).isGreaterThanOrEqualTo(40 - 2 * LIMIT);
        Integer used = jdbc.queryForObject("SELECT used FROM firstpromoter_budget WHERE id = 1", Integer.class);
        assertThat(used).isLessThanOrEqualTo(LIMIT);
    }

    @Test
    void theBackgroundTakesAtMostHalfAndDeliveriesTheRest() throws Exception {
        Map<Instant, Integer> background = drawMany(Caller.RECONCILIATION, 20);
        assertThat(background.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(LIMIT / 2));

        Instant window = background.keySet().stream().max(Instant::compareTo).orElseThrow();
        assertThatThrownBy(() -> second.take(Caller.NOTICE, 0)).isInstanceOf(Spent.class)
                .hasMessageContaining("5 a minute for reconciliation and notices, of 10 a minute");
        // Deliveries still have the other half of the window the background filled.
        Map<Instant, Integer> deliveries = drawMany(Caller.DELIVERY, 20);
        assertThat(deliveries.getOrDefault(window, 0) + background.get(window)).isLessThanOrEqualTo(LIMIT);
        assertThat(deliveries.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(LIMIT / 2);
    }

    @Test
    void aDeliveryLeftWaitingMakesTheBackgroundYield() {
        for (int i = 0; i < LIMIT; i++) {
            (i % 2 == 0 ? first : second).take(Caller.DELIVERY, 0);
        }
        long asked = System.nanoTime();
        assertThatThrownBy(() -> first.take(Caller.DELIVERY, 300)).isInstanceOf(Spent.class)
                .hasMessageContaining("is spent until").hasMessageEndingWith("before the answer is due; retry later");
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("never past its wait").isLessThan(Duration.ofMillis(600));
        // The window turns (its start set a minute back): the delivery's mark still holds the background off.
        jdbc.update("UPDATE firstpromoter_budget SET window_start = ? WHERE id = 1",
                java.sql.Timestamp.from(Instant.now().minus(Duration.ofMinutes(2))));

        assertThatThrownBy(() -> second.take(Caller.RECONCILIATION, 0)).isInstanceOf(Spent.class)
                .hasMessageContaining("deliveries are waiting");
        second.take(Caller.DELIVERY, 0);
        // Once the mark (a second at least) has passed, the background draws again.
        await().atMost(Duration.ofSeconds(5)).ignoreExceptionsInstanceOf(Spent.class).untilAsserted(() -> assertThat(first.take(Caller.RECONCILIATION, 0)).isNotNull());
        assertThat(counted(Caller.RECONCILIATION, "refused")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void a429PausesEveryInstanceUntilItsRetryAfter() {
        first.answered(429, HttpHeaders.of(Map.of("Retry-After", List.of("2")), (a, b) -> true));
        long pausedAt = System.nanoTime();

        // A delivery whose deadline ends before the pause does: answered at once, never waiting.
        assertThatThrownBy(() -> second.take(Caller.DELIVERY, 500)).isInstanceOf(Spent.class).hasMessageContaining("429");
        assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).isLessThan(Duration.ofMillis(400));
        assertThatThrownBy(() -> second.take(Caller.NOTICE, 0)).isInstanceOf(Spent.class).hasMessageContaining("429");

        // One whose deadline outlasts it waits, and calls once the pause is over.
        AtomicInteger calls = new AtomicInteger();
        second.take(Caller.DELIVERY, 4000);
        calls.incrementAndGet();
        assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        first.awaitRoom(Caller.RECONCILIATION, 4000);
        assertThat(calls).hasValue(1);
        assertThat(counted(Caller.DELIVERY, "waited")).isEqualTo(1);
    }

    @Test
    void a429WithoutRetryAfterPausesAMinute() {
        second.answered(429, HttpHeaders.of(Map.of(), (a, b) -> true));
        Instant paused = jdbc.queryForObject("SELECT paused_until FROM firstpromoter_budget WHERE id = 1", java.sql.Timestamp.class)
                .toInstant();
        assertThat(Duration.between(Instant.now(), paused)).isBetween(Duration.ofSeconds(55), Duration.ofSeconds(61));
        assertThatThrownBy(() -> first.take(Caller.DELIVERY, 1000)).isInstanceOf(Spent.class).hasMessageContaining("429");
    }

    @Test
    void aRowFarAheadOfEveryClockStopsNoInstance() {
        // A clock gone wrong, or a hand-edited row: a window starting in 2030 and spent, a pause and a delivery's mark until 2100.
        jdbc.update("UPDATE firstpromoter_budget SET window_start = ?, used = ?, background_used = ?, deliveries_waiting_until = ?, "
                + "paused_until = ? WHERE id = 1", java.sql.Timestamp.from(Instant.parse("2030-01-01T00:00:00Z")), LIMIT, LIMIT / 2,
                java.sql.Timestamp.from(Instant.parse("2100-01-01T00:00:00Z")), java.sql.Timestamp.from(Instant.parse("2100-01-01T00:00:00Z")));

        first.take(Caller.DELIVERY, 0);
        Instant window = second.take(Caller.RECONCILIATION, 0);
        // Counted afresh in this minute (1 if the minute turned between the two).
        assertThat(jdbc.queryForObject("SELECT used FROM firstpromoter_budget WHERE id = 1", Integer.class)).isBetween(1, 2);
        assertThat(jdbc.queryForObject("SELECT window_start FROM firstpromoter_budget WHERE id = 1", java.sql.Timestamp.class)
                .toInstant()).isEqualTo(window);

        // A real 429 still pauses everyone: the pause of 2100 is replaced, not kept.
        first.answered(429, HttpHeaders.of(Map.of("Retry-After", List.of("30")), (a, b) -> true));
        assertThatThrownBy(() -> second.take(Caller.DELIVERY, 0)).isInstanceOf(Spent.class).hasMessageContaining("429");
        Instant paused = jdbc.queryForObject("SELECT paused_until FROM firstpromoter_budget WHERE id = 1", java.sql.Timestamp.class)
                .toInstant();
        assertThat(Duration.between(Instant.now(), paused)).isBetween(Duration.ofSeconds(25), Duration.ofSeconds(31));
    }

    @Test
    void aRetryAfterOfDaysPausesTenMinutesAtMost() {
        first.answered(429, HttpHeaders.of(Map.of("Retry-After", List.of("999999")), (a, b) -> true));
        Instant paused = jdbc.queryForObject("SELECT paused_until FROM firstpromoter_budget WHERE id = 1", java.sql.Timestamp.class)
                .toInstant();
        assertThat(Duration.between(Instant.now(), paused)).isBetween(Duration.ofMinutes(9), FirstPromoterBudget.MOST_PAUSE);
        assertThat(ListAnswers.retryAfter(HttpHeaders.of(Map.of("Retry-After", List.of("Fri, 01 Jan 2100 00:00:00 GMT")),
                (a, b) -> true))).isEqualTo(FirstPromoterBudget.MOST_PAUSE);
    }
}
