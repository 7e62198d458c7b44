package io.fulfilmentbridge.paddle;

import static io.fulfilmentbridge.paddle.PaddleStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * A write Paddle holds past the bridge's timeout and applies late (docs/promises.md, "What proves a lost grant landed": the fence):
 * while it may still land nothing is sent to the customer, then it is settled by reading Paddle first.
 */
@TestPropertySource(properties = {"bridge.answer-within=2s", "bridge.billing.may-land-for=5s"})
class PaddleFenceTest extends PaddleBridgeSupport {

    private static final Instant CREATED = Instant.parse("2024-04-12T10:18:47.635628Z");

    @Test
    void aHeldGrantThatLandsAfterTheNextGrantArrivedIsFencedThenSettledAndEveryGrantCountsOnce() throws Exception {
        long a = nextId();
        long b = nextId();
        String customer = customerId(a);
        String path = "/subscriptions/" + subscriptionId(a);
        Instant original = Instant.now().plus(Duration.ofDays(20)).truncatedTo(ChronoUnit.SECONDS);
        List<Instant> history = new CopyOnWriteArrayList<>();
        ObjectNode live = PADDLE.liveSubscription(subscription(subscriptionId(a), customer, "active", CREATED, original,
                Map.of("kept", "yes")), history);
        // Grant A's update is held past the bridge's 2 s answer deadline, then applied.
        PADDLE.live().holdNext("PATCH", path, Duration.ofSeconds(3), false);

        assertAnswer(deliver(a, customer, 1), 503, "retry");
        // Grant B for the same customer, and A again, while A's update may still land.
        String fenced = assertAnswer(deliver(b, customer, 2), 503, "retry");
        assertThat(fenced).containsPattern("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}").doesNotContain(PADDLE_KEY);
        assertAnswer(deliver(a, customer, 1), 503, "retry");

        // A lands (the stand-in applies it after the hold); B and A are delivered again until the fence is over.
        waitFor(() -> history.size() == 2 && allUpdates().size() == 1);
        assertThat(history.get(1)).isEqualTo(plusMonths(original, 1));
        assertThat(allUpdates()).as("nothing sent to the customer within the fence").hasSize(1);
        assertThat(untilNotFenced(() -> deliver(b, customer, 2))).isEqualTo(200);
        synchronized (live) {
            assertThat(live.get("next_billed_at").asText()).as("B answered 200 after its write reached Paddle")
                    .isEqualTo(plusMonths(plusMonths(original, 1), 2).toString());
        }
        assertAnswer(deliver(a, customer, 1), 200, "granted");

        // Both grants exactly once: 1 + 2 months past the original date, never moved back.
        assertThat(history).containsExactly(original, plusMonths(original, 1), plusMonths(plusMonths(original, 1), 2));
        assertThat(allUpdates()).hasSize(2);
        assertThat(body(allUpdates().get(1)).get("custom_data").get("firstpromoter_grant").asText())
                .isEqualTo("fulfilment-" + b);
        assertThat(state(a)).isEqualTo("GRANTED");
        assertThat(state(b)).isEqualTo("GRANTED");
        assertThat(grantState(a)).isEqualTo("APPLIED");
        assertThat(grantState(b)).isEqualTo("APPLIED");
    }

    /** Delivers until the answer is not the fence's 503 (each 503 checked as one); the final status. */
    private static int untilNotFenced(Supplier<HttpResponse<String>> delivery) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            HttpResponse<String> answer = delivery.get();
            if (answer.statusCode() != 503 || System.nanoTime() > until) {
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                return answer.statusCode();
            }
            assertAnswer(answer, 503, "retry");
            Thread.sleep(250);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s").isLessThan(until);
            Thread.sleep(50);
        }
    }
}
