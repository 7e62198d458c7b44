package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.AnswerStatuses;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.Outcome;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Route fulfilment-answer: the answer's outcome becomes the HTTP status and the JSON body FirstPromoter reads. */
class FulfilmentAnswerRouteTest extends RouteTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected List<String> routeFiles() {
        return List.of("fulfilment-answer.camel.yaml");
    }

    @ParameterizedTest
    @EnumSource(Outcome.class)
    void eachOutcomeIsAnsweredWithItsStatusAndJson(Outcome outcome) throws Exception {
        context.start();

        Exchange answered = answer(new Answer(outcome, "what happened"), Map.of());

        assertEquals(outcome.defaultStatus(), answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertEquals("application/json", answered.getMessage().getHeader("Content-Type"));
        JsonNode body = JSON.readTree(answered.getMessage().getBody(String.class));
        assertEquals(92, body.get("fulfilment_id").asLong());
        assertEquals(outcome.label(), body.get("outcome").asText());
        assertEquals("what happened", body.get("detail").asText());
        assertEquals(1.0, meters.counter("bridge.fulfilments", "unit", "cash", "outcome", outcome.label()).count());
    }

    @Test
    void queuedFollowsTheQueuedStatusSetting() throws Exception {
        context.getRegistry().bind("answerStatuses", new AnswerStatuses(200)); // bridge.cash.queued-status=200
        context.start();

        Exchange answered = answer(new Answer(Outcome.QUEUED, "payout queued"), Map.of());

        assertEquals(200, answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
    }

    @Test
    void noAnswerIsAnInternalError() throws Exception {
        context.start();

        Exchange answered = answer(null, Map.of());

        assertEquals(500, answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        JsonNode body = JSON.readTree(answered.getMessage().getBody(String.class));
        assertEquals("error", body.get("outcome").asText());
        assertEquals("internal error; nothing was applied", body.get("detail").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"CamelHttpResponseCode", "camelhttpresponsecode", "CAMELHTTPRESPONSECODE"})
    void inboundHeadersNeverReachTheAnswerNorDecideItsStatus(String statusHeader) throws Exception {
        context.start();

        Exchange answered = answer(Answer.rejected("data.id is missing"),
                Map.of(statusHeader, 200, "X-Token", "secret", "Content-Type", "text/plain"));

        assertEquals(Map.of(Exchange.HTTP_RESPONSE_CODE, 400, "Content-Type", "application/json"),
                Map.copyOf(answered.getMessage().getHeaders()));
    }

    private Exchange answer(Answer answer, Map<String, Object> inboundHeaders) {
        Exchange exchange = createExchangeWithBody("{\"data\": {}}");
        exchange.getMessage().getHeaders().putAll(inboundHeaders);
        exchange.setProperty("labels", new DeliveryLabels(92L, "evt-92", "cash"));
        exchange.setProperty("answer", answer);
        return template.send("direct:answer", exchange);
    }
}
