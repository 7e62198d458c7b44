package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.firstpromoter.FirstPromoterCommissions;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.webhook.AnswerDeadline;
import java.math.BigDecimal;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Route fulfilment-replay, the operators' door: a held claim hands what was stored of the fulfilment to
 * route fulfilment (a mock here, as direct:answer), with the replay's claim; one not held is answered why.
 */
class FulfilmentReplayRouteTest extends RouteTestSupport {

    private final FirstPromoterCommissions commissions = mock(FirstPromoterCommissions.class);

    @Override
    protected List<String> routeFiles() {
        return List.of("fulfilment-replay.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("answerDeadline", new AnswerDeadline(SETTINGS));
        registry.bind("firstPromoterCommissions", commissions);
    }

    @BeforeEach
    void mockFulfilmentAndTheAnswer() throws Exception {
        advise("fulfilment-replay", route -> route.mockEndpointsAndSkip("direct:fulfilment", "direct:answer"));
        context.start();
    }

    private Exchange replay(FulfilmentKey key) {
        Exchange done = template.send("direct:replay", createExchangeWithBody(key));
        assertNull(done.getException(), "answered, not thrown to the operator");
        return done;
    }


    @Test
    void aClaimNotHeldIsAnsweredWhyAndNothingElseIsCalled() throws Exception {
        FulfilmentKey key = FulfilmentKey.pending(90);
        Answer why = Answer.ignored("fulfilment 90 is GRANTED: only parked, failed or stuck ones are replayed");
        when(claims.claimForReplay(key)).thenReturn(new FulfilmentClaims.Replay(new Claim(key, null, 0, why), null));
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        replay(key);

        Exchange answer = answered();
        assertSame(why, answer.getProperty("answer"));
        assertEquals(DeliveryLabels.of(90L), answer.getProperty("labels"));
        MockEndpoint.assertIsSatisfied(context);
        verify(claims).claimForReplay(key);
        verifyNoMoreInteractions(claims);
        verifyNoInteractions(commissions, lifecycle, decisions);
    }

    @Test
    void aHeldLegacyReplayReachesRouteFulfilmentWithItsClaim() throws Exception {
        Fulfilment stored = fulfilment(90, "free_months", "2");
        Claim claim = new Claim(stored.key(), "lease-of-this-replay", 3, null);
        FulfilmentClaims.Replay held = new FulfilmentClaims.Replay(claim, stored);
        when(claims.claimForReplay(stored.key())).thenReturn(held);
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        Answer granted = Answer.granted("2 months on sub_1");
        fulfilment.whenAnyExchangeReceived(exchange -> exchange.setProperty("answer", granted));

        replay(stored.key());

        fulfilment.assertIsSatisfied();
        Exchange handed = fulfilment.getExchanges().get(0);
        assertEquals(new FulfilmentRequest(FulfilmentRequest.Kind.REPLAY, stored, null, claim, null), handed.getMessage().getBody(FulfilmentRequest.class));
        assertSame(claim, handed.getProperty("claim"));
        assertEquals(new DeliveryLabels(90L, null, "free_months"), handed.getProperty("labels"));
        Deadline deadline = assertInstanceOf(Deadline.class, handed.getProperty("deadline"));
        assertTrue(deadline.remainingMillis() > 0 && deadline.remainingMillis() <= SETTINGS.answerWithin().toMillis());
        Exchange answer = answered();
        assertSame(granted, answer.getProperty("answer"));
        assertEquals(new DeliveryLabels(90L, null, "free_months"), answer.getProperty("labels"));
        verifyNoInteractions(commissions);
    }

    @Test
    void aHeldCommissionReplayAsksFirstPromotersApiAndHandsItsRequestOn() throws Exception {
        FulfilmentKey key = new FulfilmentKey(Source.COMMISSION, 88901);
        Fulfilment stored = new Fulfilment(key, "b2c3d4e5-f6a7-8901-bcde-f12345678901", "points", new BigDecimal("500"), "approved",
                0, null, null, new Recipient(Recipient.Kind.REFERRAL, 55678), null);
        Claim claim = new Claim(key, "lease-of-this-replay", 2, null);
        FulfilmentClaims.Replay held = new FulfilmentClaims.Replay(claim, stored);
        when(claims.claimForReplay(key)).thenReturn(held);
        Fulfilment asTheApiSays = new Fulfilment(key, stored.eventId(), "points", new BigDecimal("500"), "approved", 7101, null,
                "user@example.com", new Recipient(Recipient.Kind.REFERRAL, 55678), null);
        FulfilmentRequest request = new FulfilmentRequest(FulfilmentRequest.Kind.REPLAY, asTheApiSays, null, claim, null);
        when(commissions.replay(eq(held), any(Deadline.class))).thenReturn(request);
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedBodiesReceived(request);

        replay(key);

        fulfilment.assertIsSatisfied();
        Exchange handed = fulfilment.getExchanges().get(0);
        verify(commissions).replay(held, handed.getProperty("deadline", Deadline.class));
        assertSame(claim, handed.getProperty("claim"));
        assertEquals(new DeliveryLabels(88901L, null, "points"), handed.getProperty("labels"));
        assertEquals(new DeliveryLabels(88901L, null, "points"), answered().getProperty("labels"));
    }

    @Test
    void aReplayTheApiCannotAnswerNowIsAnswered503AndReleased() throws Exception {
        FulfilmentKey key = new FulfilmentKey(Source.COMMISSION, 88902);
        Fulfilment stored = new Fulfilment(key, "evt-2", "credits", new BigDecimal("20"), "approved", 7101, null, null);
        Claim claim = new Claim(key, "lease-of-this-replay", 2, null);
        FulfilmentClaims.Replay held = new FulfilmentClaims.Replay(claim, stored);
        when(claims.claimForReplay(key)).thenReturn(held);
        when(commissions.replay(eq(held), any(Deadline.class)))
                .thenThrow(new RetryLater("FirstPromoter's API timed out; retry later"));
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        replay(key);

        Exchange answer = answered();
        assertEquals(Answer.retry("FirstPromoter's API timed out; retry later"), answer.getProperty("answer"));
        verify(claims).release(eq(claim), any(Deadline.class));
        MockEndpoint.assertIsSatisfied(context);
    }
}
