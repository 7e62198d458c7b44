package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.BridgeTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * An answer carries the headers the bridge sets and nothing of the request: not the token query
 * parameter (the webhook secret), not the sender's own headers. With an answer deadline shorter than
 * the least a delivery needs, every delivery is refused by the deadline's first check, before the
 * route has read anything: the earliest answer the route can give.
 */
@TestPropertySource(properties = "bridge.answer-within=300ms")
class AnswerHeadersTest extends BridgeTest {

    private static final Set<String> ANSWER_HEADERS = Set.of("content-type", "content-length", "transfer-encoding", "date",
            "connection", "keep-alive", "vary", "x-content-type-options", "x-xss-protection", "cache-control", "pragma",
            "expires", "x-frame-options");

    @Test
    void anAnswerGivenBeforeTheRouteReadTheDeliveryEchoesNoRequestHeaderNorTheToken() {
        long id = nextId();
        HttpResponse<String> answer = send(HttpRequest.newBuilder(webhook("token=" + SECRET))
                .header("Content-Type", "application/json")
                .header("X-Probe", "echoed-if-leaked")
                .header("CamelHttpResponseCode", "200")
                .POST(HttpRequest.BodyPublishers.ofString(delivery("credits.json", id, Map.of()))));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(json(answer).get("outcome").asText()).isEqualTo("retry");
        assertThat(answer.headers().map().keySet()).as("answer headers").allSatisfy(name -> assertThat(ANSWER_HEADERS).contains(name.toLowerCase()));
        assertThat(answer.headers().map().toString()).doesNotContain(SECRET).doesNotContain("echoed-if-leaked");
        assertThat(state(id)).as("nothing recorded").isNull();
    }
}
