package io.fulfilmentbridge.chargebee;

import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.changeTermEndPath;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * A change_term_end whose answer was lost, then a second grant to the same customer: fenced while the
 * first may still land (docs/promises.md, "What proves a lost grant landed": the fence), then the first settled, both applied once.
 */
@TestPropertySource(properties = {"bridge.answer-within=2s", "bridge.billing.may-land-for=5s"})
class ChargebeeFenceTest extends ChargebeeBridgeSupport {

    private static long plusMonths(long epoch, int months) {
        return Instant.ofEpochSecond(epoch).atZone(ZoneOffset.UTC).plusMonths(months).toInstant().getEpochSecond();
    }

    @Test
    void aLostTermEndChangeFencesTheNextGrantUntilItMayNoLongerLandThenBothApplyOnce() throws Exception {
        long a = nextId();
        long b = nextId();
        String customer = customerId(a);
        String path = changeTermEndPath(subscriptionId(a));
        long termEnd = Instant.now().plus(Duration.ofDays(20)).getEpochSecond();
        List<Long> history = new CopyOnWriteArrayList<>();
        ObjectNode live = CHARGEBEE.liveSubscription(subscription(subscriptionId(a), customer, "active",
                Instant.now().minus(Duration.ofDays(10)).getEpochSecond(), termEnd, null, "USD"), "c" + a + "@example.org",
                history);
        // A's change is held past the bridge's 2 s deadline, applied, and its answer dropped.
        CHARGEBEE.live().holdNext("POST", path, Duration.ofSeconds(3), true);

        assertAnswer(deliverMonths(a, customer, 1), 503, "retry");
        String fenced = assertAnswer(deliverMonths(b, customer, 2), 503, "retry");
        assertThat(fenced).contains("may still land").doesNotContain(CHARGEBEE_KEY).doesNotContain("fulfilment-" + a);

        waitFor(() -> history.size() == 2);
        assertThat(CHARGEBEE.live().arrived("POST", path)).as("nothing sent to the customer within the fence").isEqualTo(1);
        assertAnswer(untilNotFenced(() -> deliverMonths(b, customer, 2)), 200, "granted");
        assertAnswer(deliverMonths(a, customer, 1), 200, "granted");

        // A once (its re-send under the same key answered from Chargebee's stored answer), B once, never moved back.
        assertThat(history).containsExactly(termEnd, plusMonths(termEnd, 1), plusMonths(plusMonths(termEnd, 1), 2));
        assertThat(CHARGEBEE.effects(path)).isEqualTo(2);
        synchronized (live) {
            assertThat(live.get("current_term_end").asLong()).isEqualTo(plusMonths(plusMonths(termEnd, 1), 2));
        }
        assertThat(state(a)).isEqualTo("GRANTED");
        assertThat(state(b)).isEqualTo("GRANTED");
        assertThat(grantState(a)).isEqualTo("APPLIED");
        assertThat(grantState(b)).isEqualTo("APPLIED");
    }

    private static HttpResponse<String> untilNotFenced(Supplier<HttpResponse<String>> delivery) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> answer = delivery.get();
        while (answer.statusCode() == 503) {
            assertAnswer(answer, 503, "retry");
            assertThat(System.nanoTime()).as("answered after the fence").isLessThan(until);
            Thread.sleep(250);
            answer = delivery.get();
        }
        return answer;
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s").isLessThan(until);
            Thread.sleep(50);
        }
    }
}
