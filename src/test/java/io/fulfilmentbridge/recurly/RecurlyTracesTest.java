package io.fulfilmentbridge.recurly;

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
 * A free-months grant through Recurly with traces on (docs/operations.md, Traces): each call to Recurly
 * is a client span under the delivery's trace, and no span holds Recurly's key or its Basic header.
 */
class RecurlyTracesTest extends TracedBridgeTest implements RecurlyBridge {

    @Override
    protected List<String> ownSecrets() {
        return List.of(RECURLY_KEY, RECURLY.authorization().substring("Basic ".length()));
    }

    @Test
    void eachRecurlyCallOfAGrantIsAClientSpanUnderTheDelivery() {
        long id = nextId();
        String subscription = RecurlyBridgeSupport.subscriptionId(id);
        RECURLY.stubGrantableAccount(RecurlyBridgeSupport.accountId(id), RecurlyBridgeSupport.appId(id), RecurlyBridgeSupport.email(id),
                subscription, Instant.now().plus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS));

        assertAnswer(post(delivery("free-months.json", id, Map.of("promoter.cust_id", RecurlyBridgeSupport.appId(id),
                "promoter.email", RecurlyBridgeSupport.email(id)))), 200, "granted");
        List<LoggedRequest> received = RECURLY.server().findAll(anyRequestedFor(anyUrl())).stream()
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
        assertThat(received).extracting(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).contains("PUT /subscriptions/" + subscription);
        assertThat(received).allSatisfy(r -> assertThat(r.getHeader("Authorization")).isEqualTo(RECURLY.authorization()));

        List<SpanData> trace = traceWith(s -> s.getName().equals("recurly PUT /subscriptions/" + subscription));
        List<SpanData> calls = callsOf(trace, "recurly");
        assertClientCallsUnder(trace, calls, "recurly", "free-months");
        // Each request Recurly received is one client span of the delivery's trace, in order.
        assertThat(calls).extracting(s -> s.getName().substring("recurly ".length()))
                .containsExactlyElementsOf(received.stream().map(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).toList());
    }
}
