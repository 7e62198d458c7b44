package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.CommissionEventLog;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.webhook.AnswerDeadline;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.Test;

/**
 * Route firstpromoter-events, the webhooks v2 door: an approval goes to commission-approval, a denial to
 * commission-denial, and the event's answer is kept for a re-sent copy; anything else is answered without
 * them. Its platform-http from is a direct endpoint here; the two routes and direct:answer are mocks.
 */
class FirstPromoterEventsRouteTest extends RouteTestSupport {

    private static final String DOOR = "direct:firstpromoter-events-door";
    /** v2-docs-commission-approved.json: commission 88901's status changed to approved. */
    private static final String APPROVED = "v2-docs-commission-approved.json";
    private static final String EVENT_ID = "b2c3d4e5-f6a7-8901-bcde-f12345678901";

    private final CommissionEventLog eventLog = mock(CommissionEventLog.class);

    @Override
    protected List<String> routeFiles() {
        return List.of("firstpromoter-events.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getPropertiesComponent().addInitialProperty("bridge.webhook.events-path", "/events");
        return context;
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("answerDeadline", new AnswerDeadline(SETTINGS));
        registry.bind("deliveryReader", DoorSamples.reader());
        registry.bind("commissionEventLog", eventLog);
    }

    /** Starts the route on a bridge of that inbound kind: from a direct endpoint, the routes it sends to mocked. */
    private void start(String inbound) throws Exception {
        context.getRegistry().bind("firstpromoterInbound", DoorSamples.inbound(inbound));
        advise("firstpromoter-events", route -> {
            route.replaceFromWith(DOOR);
            route.mockEndpointsAndSkip("direct:commission-approval", "direct:commission-denial", "direct:answer");
        });
        context.start();
    }

    private void deliver(byte[] body, Map<String, Object> headers) {
        Exchange exchange = createExchangeWithBody(body);
        exchange.getMessage().getHeaders().putAll(headers);
        Exchange done = template.send(DOOR, exchange);
        assertNull(done.getException(), "answered, not thrown to the servlet");
    }

    private static byte[] sample(String name, String from, String to) {
        String body = new String(DoorSamples.body(name), StandardCharsets.UTF_8);
        assertTrue(body.contains(from), name + " has " + from);
        return body.replace(from, to).getBytes(StandardCharsets.UTF_8);
    }


    /** The route a mock stands for answers this when it is reached. */
    private MockEndpoint route(String name, int expected, Answer answer) {
        MockEndpoint route = getMockEndpoint("mock:direct:" + name);
        route.expectedMessageCount(expected);
        route.whenAnyExchangeReceived(exchange -> exchange.setProperty("answer", answer));
        return route;
    }

    @Test
    void anApprovalGoesToCommissionApprovalAndItsAnswerIsKept() throws Exception {
        start("v2");
        Answer granted = Answer.granted("credited 500 points to user@example.com");
        MockEndpoint approval = route("commission-approval", 1, granted);
        route("commission-denial", 0, Answer.reversed("not this one"));

        deliver(DoorSamples.body(APPROVED), Map.of());

        MockEndpoint.assertIsSatisfied(context);
        Exchange handed = approval.getExchanges().get(0);
        CommissionEvent event = handed.getProperty("commissionEvent", CommissionEvent.class);
        assertEquals(EVENT_ID, event.eventId());
        assertEquals(88901L, event.commissionId());
        assertEquals(CommissionEvent.Kind.APPROVAL, event.kind());
        assertEquals("points", event.unit());
        assertEquals(new BigDecimal("500"), event.amount());
        assertEquals(Instant.parse("2025-01-19T10:30:00Z"), event.occurredAt());
        assertEquals(new DeliveryLabels(88901L, EVENT_ID, "points"), handed.getProperty("labels"));
        assertNotNull(handed.getProperty("deadline"));
        assertEquals("", handed.getMessage().getBody(String.class), "the body, with the event's emails, is dropped once read");
        verify(eventLog).answered(event, granted);
        Exchange answer = answered();
        assertSame(granted, answer.getProperty("answer"));
        assertEquals(new DeliveryLabels(88901L, EVENT_ID, "points"), answer.getProperty("labels"));
    }

    @Test
    void aDenialGoesToCommissionDenialAndItsAnswerIsKept() throws Exception {
        start("v2");
        route("commission-approval", 0, Answer.granted("not this one"));
        Answer reversed = Answer.reversed("reversed: fulfilment 88901 (points), two ledger entries opposite to the grant's booked");
        MockEndpoint denial = route("commission-denial", 1, reversed);

        deliver(sample(APPROVED, "\"event_type\": \"commission.updated\"", "\"event_type\": \"commission.denied\""), Map.of());

        MockEndpoint.assertIsSatisfied(context);
        CommissionEvent event = denial.getExchanges().get(0).getProperty("commissionEvent", CommissionEvent.class);
        assertEquals(CommissionEvent.Kind.DENIAL, event.kind());
        assertEquals("commission.denied", event.eventType());
        assertEquals(88901L, event.commissionId());
        verify(eventLog).answered(event, reversed);
        assertSame(reversed, answered().getProperty("answer"));
    }

    @Test
    void aResentEventIsAnsweredFromTheLogAndReachesNeitherRoute() throws Exception {
        start("v2");
        route("commission-approval", 0, Answer.granted("again"));
        route("commission-denial", 0, Answer.reversed("again"));
        Answer before = Answer.granted("event " + EVENT_ID + " was answered before: credited 500 points");
        when(eventLog.answeredBefore(any())).thenReturn(before);

        deliver(DoorSamples.body(APPROVED), Map.of());

        Exchange answer = answered();
        assertSame(before, answer.getProperty("answer"));
        assertEquals(new DeliveryLabels(88901L, EVENT_ID, "points"), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
        verify(eventLog).answeredBefore(answer.getProperty("commissionEvent", CommissionEvent.class));
        verify(eventLog, never()).answered(any(), any());
    }

    @Test
    void firstPromotersTestDeliveryIsAnsweredIgnored() throws Exception {
        start("v2");
        route("commission-approval", 0, Answer.granted("no"));
        route("commission-denial", 0, Answer.reversed("no"));

        deliver(DoorSamples.body("v2-test-delivery.json"), Map.of());

        Exchange answer = answered();
        assertEquals(Answer.ignored("FirstPromoter's test delivery: received, nothing done"), answer.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(eventLog);
    }

    @Test
    void anEventAboutSomethingElseThanACommissionIsAnsweredIgnored() throws Exception {
        start("v2");
        route("commission-approval", 0, Answer.granted("no"));
        route("commission-denial", 0, Answer.reversed("no"));

        deliver(DoorSamples.body("v2-docs-promoter-created.json"), Map.of());

        Exchange answer = answered();
        assertEquals(Answer.ignored("event promoter.created is not about a commission: nothing done"), answer.getProperty("answer"));
        assertEquals(DeliveryLabels.of(12345L), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(eventLog);
    }

    @Test
    void aCommissionEventThatNeitherApprovesNorDeniesIsAnsweredIgnoredAndKept() throws Exception {
        start("v2");
        route("commission-approval", 0, Answer.granted("no"));
        route("commission-denial", 0, Answer.reversed("no"));

        deliver(DoorSamples.body("v2-docs-commission-created.json"), Map.of());

        Exchange answer = answered();
        Answer ignored = Answer.ignored("neither an approval nor a denial of a commission: nothing done");
        assertEquals(ignored, answer.getProperty("answer"));
        assertEquals(new DeliveryLabels(88901L, "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "points"), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
        verify(eventLog).answered(answer.getProperty("commissionEvent", CommissionEvent.class), ignored);
    }

    @Test
    void anEventMissingARequiredFieldIsRejectedAndNotKept() throws Exception {
        start("v2");
        route("commission-approval", 0, Answer.granted("no"));

        deliver(sample(APPROVED, "\"event_id\": \"" + EVENT_ID + "\",", ""), Map.of());

        Exchange answer = answered();
        assertEquals(Answer.rejected("event_id is required: a string of at most 64 printable characters"), answer.getProperty("answer"));
        assertEquals(DeliveryLabels.of(88901L), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(eventLog);
    }

    @Test
    void inboundHeadersNeverSteerTheRouteWhateverTheirNames() throws Exception {
        start("v2");
        Answer granted = Answer.granted("credited 500 points to user@example.com");
        MockEndpoint approval = route("commission-approval", 1, granted);

        // A bean step would call the method a CamelBeanMethodName header named.
        deliver(DoorSamples.body(APPROVED), Map.of("CAMELBEANMETHODNAME", "forgetOld", "camelHttpResponseCode", 200,
                "Authorization", "Bearer hook-secret"));

        MockEndpoint.assertIsSatisfied(context);
        assertEquals(Map.of(), approval.getExchanges().get(0).getMessage().getHeaders());
        verify(eventLog).answered(any(), any());
        verify(eventLog, never()).forgetOld();
        assertEquals(Map.of(), answered().getMessage().getHeaders());
    }

    @Test
    void aLegacyBridgeAnswersIgnoredUnread() throws Exception {
        start("legacy");
        route("commission-approval", 0, Answer.granted("no"));
        route("commission-denial", 0, Answer.reversed("no"));

        // Not even JSON: it is not read.
        deliver("not json".getBytes(StandardCharsets.UTF_8), Map.of());

        Exchange answer = answered();
        assertEquals(DoorSamples.inbound("legacy").otherKindAnswer(), answer.getProperty("answer"));
        assertEquals(Outcome.IGNORED, answer.getProperty("answer", Answer.class).outcome());
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(eventLog);
    }
}
