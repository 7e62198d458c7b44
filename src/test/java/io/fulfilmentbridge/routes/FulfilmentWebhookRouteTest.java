package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.verifyNoInteractions;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.webhook.AnswerDeadline;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Route fulfilment-webhook, the legacy door: a fulfilment_pending delivery is read and handed to route
 * fulfilment as its reward; anything else is answered without it. Its platform-http from is a direct
 * endpoint here, and direct:fulfilment and direct:answer are mocks: what they receive is what those routes would.
 */
class FulfilmentWebhookRouteTest extends RouteTestSupport {

    private static final String DOOR = "direct:fulfilment-webhook-door";

    /** The real answerDeadline, noting the headers its step saw (the route's first after removing them) and the deadline it gave. */
    static class NotingDeadline extends AnswerDeadline {
        Map<String, Object> headersSeen;
        Deadline given;

        NotingDeadline() {
            super(SETTINGS);
        }

        @Override
        public Deadline countFromArrival(Exchange exchange) {
            headersSeen = new HashMap<>(exchange.getMessage().getHeaders());
            given = super.countFromArrival(exchange);
            return given;
        }
    }

    private final NotingDeadline answerDeadline = new NotingDeadline();

    @Override
    protected List<String> routeFiles() {
        return List.of("fulfilment-webhook.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getPropertiesComponent().addInitialProperty("bridge.webhook.path", "/webhook");
        return context;
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("answerDeadline", answerDeadline);
        registry.bind("deliveryReader", DoorSamples.reader());
    }

    /** Starts the route on a bridge of that inbound kind, its from a direct endpoint, direct:fulfilment and direct:answer mocked. */
    private void start(String inbound) throws Exception {
        context.getRegistry().bind("firstpromoterInbound", DoorSamples.inbound(inbound));
        advise("fulfilment-webhook", route -> {
            route.replaceFromWith(DOOR);
            route.mockEndpointsAndSkip("direct:fulfilment", "direct:answer");
        });
        context.start();
    }

    private Exchange deliver(byte[] body, Map<String, Object> headers) throws Exception {
        Exchange exchange = createExchangeWithBody(body);
        exchange.getMessage().getHeaders().putAll(headers);
        Exchange done = template.send(DOOR, exchange);
        assertNull(done.getException(), "answered, not thrown to the servlet");
        return done;
    }


    @Test
    void aFulfilmentPendingDeliveryReachesRouteFulfilmentAsItsReward() throws Exception {
        start("legacy");
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        Answer granted = Answer.granted("2 months on sub_1");
        fulfilment.whenAnyExchangeReceived(exchange -> exchange.setProperty("answer", granted));

        deliver(DoorSamples.body("free-months.json"), Map.of());

        fulfilment.assertIsSatisfied();
        Exchange handed = fulfilment.getExchanges().get(0);
        FulfilmentRequest request = handed.getMessage().getBody(FulfilmentRequest.class);
        assertEquals(FulfilmentRequest.delivery(new Fulfilment(FulfilmentKey.pending(90), "5367", "free_months", new BigDecimal("2"),
                "pending", 234, "cus_Pq7Xb2LrT0aZ1c", "jane@example.org")), request);
        assertEquals(new DeliveryLabels(90L, "5367", "free_months"), handed.getProperty("labels"));
        assertNotNull(answerDeadline.given);
        assertSame(answerDeadline.given, handed.getProperty("deadline"));
        assertTrue(answerDeadline.given.remainingMillis() > 0
                && answerDeadline.given.remainingMillis() <= SETTINGS.answerWithin().toMillis(), "bridge.answer-within from arrival");
        Exchange answer = answered();
        assertSame(granted, answer.getProperty("answer"), "what route fulfilment decided is answered");
        assertEquals(new DeliveryLabels(90L, "5367", "free_months"), answer.getProperty("labels"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"free-months.json", "credits.json", "cash.json"})
    void nothingOfThePromotersSecretsIsLeftWhenTheRewardIsHandedOnAndAnswered(String sample) throws Exception {
        start("legacy");
        byte[] body = DoorSamples.body(sample);
        JsonNode promoter = DoorSamples.json(body).path("data").path("promoter");
        String authToken = promoter.path("auth_token").asText();
        String tempPassword = promoter.path("temp_password").asText("");
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);

        deliver(body, Map.of());

        fulfilment.assertIsSatisfied();
        assertTrue(authToken.length() > 8, "the sample has the promoter's auth_token");
        List<String> secrets = tempPassword.isEmpty() ? List.of(authToken) : List.of(authToken, tempPassword);
        DoorSamples.assertNowhere(fulfilment.getExchanges().get(0), secrets.toArray(String[]::new));
        DoorSamples.assertNowhere(answered(), secrets.toArray(String[]::new));
    }

    @Test
    void inboundHeadersAreGoneBeforeAnythingRunsWhateverTheirNames() throws Exception {
        start("legacy");
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        Map<String, Object> inbound = new HashMap<>();
        inbound.put("camelHttpResponseCode", 200);
        inbound.put("CAMELBEANMETHODNAME", "ignored");
        inbound.put("CamelHttpQuery", "token=hook-secret");
        inbound.put("X-Forwarded-For", "203.0.113.9");
        inbound.put("Content-Type", "application/json");

        deliver(DoorSamples.body("free-months.json"), inbound);

        assertEquals(Map.of(), answerDeadline.headersSeen, "the route's first step after removing them saw none");
        fulfilment.assertIsSatisfied();
        assertEquals(Map.of(), fulfilment.getExchanges().get(0).getMessage().getHeaders());
        assertEquals(90L, fulfilment.getExchanges().get(0).getMessage().getBody(FulfilmentRequest.class).fulfilment().id(),
                "read as a delivery, whatever method a header named");
        assertEquals(Map.of(), answered().getMessage().getHeaders());
    }

    @Test
    void anotherEventTypeIsAnsweredIgnoredAndNeverReachesRouteFulfilment() throws Exception {
        start("legacy");
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);
        String paid = new String(DoorSamples.body("free-months.json"), StandardCharsets.UTF_8)
                .replace("\"type\": \"fulfilment_pending\"", "\"type\": \"promoter_accepted\"");
        assertTrue(paid.contains("promoter_accepted"));

        deliver(paid.getBytes(StandardCharsets.UTF_8), Map.of());

        Exchange answer = answered();
        assertEquals(Answer.ignored("not a fulfilment_pending event; nothing done"), answer.getProperty("answer"));
        assertEquals(new DeliveryLabels(90L, null, null), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(claims, lifecycle);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[1, 2]", "\"fulfilment_pending\"", "not json", "{\"data\": {\"id\": 90}", "{} {}"})
    void aBodyThatIsNotOneJsonObjectIsRejectedByTheDoorsErrorHandler(String body) throws Exception {
        start("legacy");
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        deliver(body.getBytes(StandardCharsets.UTF_8), Map.of());

        Exchange answer = answered();
        Answer rejected = answer.getProperty("answer", Answer.class);
        assertEquals(Outcome.REJECTED, rejected.outcome(), "answered 400 by fulfilment-outcomes: " + rejected);
        assertTrue(rejected.detail().startsWith("body "), rejected.detail());
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(claims);
    }

    @Test
    void aFulfilmentPendingDeliveryMissingARequiredFieldIsRejectedWithTheReason() throws Exception {
        start("legacy");
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);
        String noUnit = new String(DoorSamples.body("free-months.json"), StandardCharsets.UTF_8)
                .replace("\"unit\": \"free_months\",", "");

        deliver(noUnit.getBytes(StandardCharsets.UTF_8), Map.of());

        Exchange answer = answered();
        assertEquals(Answer.rejected("data.unit is required: a string"), answer.getProperty("answer"));
        assertEquals(new DeliveryLabels(90L, "5367", null), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aV2BridgeAnswersIgnoredUnread() throws Exception {
        start("v2");
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        // Not even JSON: it is not read.
        deliver("not json".getBytes(StandardCharsets.UTF_8), Map.of());

        Exchange answer = answered();
        assertEquals(DoorSamples.inbound("v2").otherKindAnswer(), answer.getProperty("answer"));
        assertEquals(Outcome.IGNORED, answer.getProperty("answer", Answer.class).outcome());
        assertNull(answer.getProperty("labels"));
        assertNotNull(answer.getProperty("deadline"));
        MockEndpoint.assertIsSatisfied(context);
    }
}
