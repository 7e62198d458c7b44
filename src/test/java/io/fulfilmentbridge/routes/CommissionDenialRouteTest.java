package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Denial;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Reversal;
import io.fulfilmentbridge.fulfilment.ReversalRequest;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.webhook.DeliveryReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Route commission-denial: a denied commission's applied reward reversed once (route fulfilment-reversal, a mock here), or the denial's own answer. */
class CommissionDenialRouteTest extends RouteTestSupport {

    private static final FulfilmentKey KEY = new FulfilmentKey(Source.COMMISSION, 88901);
    private static final String EVENT_ID = "b2c3d4e5-f6a7-8901-bcde-f12345678901";

    private final DeliveryReader reader = DoorSamples.reader();

    @Override
    protected List<String> routeFiles() {
        return List.of("commission-denial.camel.yaml", "error-handling.camel.yaml");
    }

    @BeforeEach
    void mockTheReversal() throws Exception {
        advise("commission-denial", route -> route.mockEndpointsAndSkip("direct:reverse"));
        context.start();
    }

    /** v2-docs-commission-approved.json as a denial of that event type, as route firstpromoter-events read it. */
    private CommissionEvent denial(String eventType) {
        String body = new String(DoorSamples.body("v2-docs-commission-approved.json"), StandardCharsets.UTF_8)
                .replace("\"event_type\": \"commission.updated\"", "\"event_type\": \"" + eventType + "\"");
        CommissionEvent event = reader.commissionEvent(reader.read(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(CommissionEvent.Kind.DENIAL, event.kind());
        return event;
    }

    private Exchange deny(CommissionEvent event) {
        Exchange exchange = createExchangeWithBody("");
        exchange.setProperty("commissionEvent", event);
        exchange.setProperty("deadline", deadline);
        return template.send("direct:commission-denial", exchange);
    }

    @ParameterizedTest
    @ValueSource(strings = {"commission.denied", "commission.deleted"})
    void anAppliedRewardIsReversedWithANoteNamingTheEvent(String eventType) throws Exception {
        CommissionEvent event = denial(eventType);
        when(decisions.takeDenial(event)).thenReturn(new Denial(KEY, true, null));
        Reversal reversal = new Reversal(KEY, Reversal.Found.CREDITS, "points", null);
        MockEndpoint reverse = getMockEndpoint("mock:direct:reverse");
        reverse.expectedBodiesReceived(new ReversalRequest(KEY, eventType + " by FirstPromoter (event " + EVENT_ID + ")"));
        reverse.whenAnyExchangeReceived(exchange -> exchange.getMessage().setBody(reversal));

        Exchange done = deny(event);

        reverse.assertIsSatisfied();
        assertEquals(Answer.reversed("reversed: fulfilment 88901 (points), two ledger entries opposite to the grant's booked"),
                done.getProperty("answer"));
        verify(decisions).takeDenial(event);
    }

    @Test
    void aDenialNotToReverseIsAnsweredWithItsOwnAnswer() throws Exception {
        CommissionEvent event = denial("commission.denied");
        Answer recorded = Answer.ignored("commission 88901 not applied yet: recorded as denied, a later approval grants nothing");
        when(decisions.takeDenial(event)).thenReturn(new Denial(KEY, false, recorded));
        getMockEndpoint("mock:direct:reverse").expectedMessageCount(0);

        Exchange done = deny(event);

        assertSame(recorded, done.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(reversals, lifecycle);
    }
}
