package io.fulfilmentbridge.recurly;

import static io.fulfilmentbridge.recurly.RecurlyStandIn.account;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * A re-send to Recurly whose answer is lost too may still land: it fences the account again
 * (docs/promises.md, "What proves a lost grant landed": the fence), counted from that re-send, not from the first send.
 */
@TestPropertySource(properties = {"bridge.answer-within=2s", "bridge.billing.may-land-for=5s"})
class RecurlyFenceTest extends RecurlyBridgeSupport {

    private HttpResponse<String> deliverDiscount(long id, long cents) {
        return deliver(id, Map.of("unit", "mon_discount", "amount", cents, "promoter.cust_id", appId(id)));
    }

    @Test
    void aReSendWhoseAnswerIsLostToo_IsNotFollowedAtOnceByAThird_OneCreditOnly() throws Exception {
        long id = nextId();
        String path = "/accounts/" + accountId(id) + "/line_items";
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "active"));
        RECURLY.stubActiveSubscriptions(accountId(id), subscription(subscriptionId(id), accountId(id), "active",
                Instant.now().minus(Duration.ofDays(40)), Instant.now().plus(Duration.ofDays(5)), null, "USD"));
        RECURLY.stubCreditCreate(accountId(id));
        RECURLY.stubCredits(accountId(id));
        List<ObjectNode> credits = RECURLY.liveCredits(accountId(id));
        // The first credit fails without taking effect; the re-send is held past the bridge's deadline, then created.
        RECURLY.live().failNext("POST", path, 503);
        RECURLY.live().holdNext("POST", path, Duration.ofSeconds(3), false);

        assertAnswer(deliverDiscount(id, 2500), 503, "retry");
        // Delivered again until the bridge re-sends the credit (its answer lost too).
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (RECURLY.live().arrived("POST", path) < 2) {
            assertAnswer(deliverDiscount(id, 2500), 503, "retry");
            assertThat(System.nanoTime()).as("the credit was re-sent").isLessThan(until);
            if (RECURLY.live().arrived("POST", path) < 2) {
                Thread.sleep(250);
            }
        }
        // At once again, while the re-send may still land: fenced, no third credit.
        String fenced = assertAnswer(deliverDiscount(id, 2500), 503, "retry");
        assertThat(fenced).contains("may still land").doesNotContain(RECURLY_KEY);
        assertThat(RECURLY.live().arrived("POST", path)).isEqualTo(2);

        waitFor(() -> credits.size() == 1);
        HttpResponse<String> answer = deliverDiscount(id, 2500);
        while (answer.statusCode() == 503) {
            assertAnswer(answer, 503, "retry");
            assertThat(System.nanoTime()).as("granted after the fence").isLessThan(until);
            Thread.sleep(250);
            answer = deliverDiscount(id, 2500);
        }
        assertAnswer(answer, 200, "granted");

        assertThat(credits).hasSize(1);
        assertThat(credits.get(0).get("description").asText()).isEqualTo("FirstPromoter reward: discount (fulfilment-" + id + ")");
        assertThat(RECURLY.live().arrived("POST", path)).isEqualTo(2);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s").isLessThan(until);
            Thread.sleep(50);
        }
    }
}
