package io.fulfilmentbridge.paddle;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.TracedBridgeTest;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A free-months grant through Paddle Billing with traces on (docs/operations.md, Traces): each call to
 * Paddle is a client span under the delivery's trace, and no span holds Paddle's key (its Bearer token).
 */
class PaddleTracesTest extends TracedBridgeTest implements PaddleBridge {

    @Override
    protected List<String> ownSecrets() {
        return List.of(PADDLE_KEY);
    }

    @Test
    void eachPaddleCallOfAGrantIsAClientSpanUnderTheDelivery() {
        long id = nextId();
        String customer = PaddleBridgeSupport.customerId(id);
        String subscription = PaddleBridgeSupport.subscriptionId(id);
        String email = PaddleBridgeSupport.email(id);
        PADDLE.stubGrantable(customer, subscription, email, Instant.now().plus(Duration.ofDays(20)).truncatedTo(ChronoUnit.MICROS));

        assertAnswer(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer, "promoter.email", email))), 200, "granted");
        List<LoggedRequest> received = PADDLE.server().findAll(anyRequestedFor(anyUrl())).stream()
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
        assertThat(received).extracting(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).contains("PATCH /subscriptions/" + subscription);
        assertThat(received).allSatisfy(r -> assertThat(r.getHeader("Authorization")).isEqualTo("Bearer " + PADDLE_KEY));

        List<SpanData> trace = traceWith(s -> s.getName().equals("paddle PATCH /subscriptions/" + subscription));
        List<SpanData> calls = callsOf(trace, "paddle");
        assertClientCallsUnder(trace, calls, "paddle", "free-months");
        // Each request Paddle received is one client span of the delivery's trace, in order.
        assertThat(calls).extracting(s -> s.getName().substring("paddle ".length()))
                .containsExactlyElementsOf(received.stream().map(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).toList());
    }
}
