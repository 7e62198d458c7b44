package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Route fulfilment, every door's entry: the claim decides whether the reward goes on to the split on unit. */
class FulfilmentRouteTest extends RouteTestSupport {

    @Override
    protected List<String> routeFiles() {
        return List.of("fulfilment.camel.yaml", "error-handling.camel.yaml");
    }

    @BeforeEach
    void mockTheSplit() throws Exception {
        advise("fulfilment", route -> route.mockEndpointsAndSkip("direct:split-on-unit"));
        context.start();
    }

    private Exchange request(FulfilmentRequest request) {
        Exchange exchange = createExchangeWithBody(request);
        exchange.setProperty("deadline", deadline);
        return template.send("direct:fulfilment", exchange);
    }

    @Test
    void aHeldClaimSendsTheRewardToTheSplitWithItsClaim() throws Exception {
        Fulfilment reward = fulfilment(101, "free_months", "2");
        FulfilmentRequest request = FulfilmentRequest.delivery(reward);
        Claim claim = held(reward);
        when(claims.claim(request, deadline)).thenReturn(claim);
        MockEndpoint split = getMockEndpoint("mock:direct:split-on-unit");
        split.expectedBodiesReceived(reward);
        split.expectedPropertyReceived("claim", claim);

        Exchange done = request(request);

        split.assertIsSatisfied();
        assertNull(done.getProperty("answer"), "the unit's route answers, not this one");
        verify(claims).claim(request, deadline);
    }

    @Test
    void aSettledClaimIsAnsweredWithWhatWasDecidedAndNothingIsApplied() throws Exception {
        Fulfilment reward = fulfilment(102, "free_months", "2");
        FulfilmentRequest request = FulfilmentRequest.delivery(reward);
        Answer before = Answer.granted("granted before");
        when(claims.claim(request, deadline)).thenReturn(new Claim(reward.key(), null, 0, before));
        getMockEndpoint("mock:direct:split-on-unit").expectedMessageCount(0);

        Exchange done = request(request);

        MockEndpoint.assertIsSatisfied(context);
        assertSame(before, done.getProperty("answer"));
        verifyNoInteractions(lifecycle);
    }

    @Test
    void aFirstDeliveryOfCreditsGoesOnUnclaimedForItsRouteToRecordWithItsEffect() throws Exception {
        Fulfilment reward = fulfilment(103, "credits", "25");
        FulfilmentRequest request = FulfilmentRequest.delivery(reward);
        when(claims.claim(request, deadline)).thenReturn(null);
        MockEndpoint split = getMockEndpoint("mock:direct:split-on-unit");
        split.expectedBodiesReceived(reward);

        Exchange done = request(request);

        split.assertIsSatisfied();
        assertNull(split.getReceivedExchanges().get(0).getProperty("claim"));
        assertNull(done.getException());
    }

    @Test
    void aClaimThatCannotBeTakenInTimeFailsTheExchangeForTheDoorToAnswer() throws Exception {
        Fulfilment reward = fulfilment(104, "free_months", "2");
        FulfilmentRequest request = FulfilmentRequest.delivery(reward);
        when(claims.claim(request, deadline)).thenThrow(new RetryLater("busy"));
        getMockEndpoint("mock:direct:split-on-unit").expectedMessageCount(0);

        Exchange done = request(request);

        MockEndpoint.assertIsSatisfied(context);
        // The door's route configuration (fulfilment-outcomes) matches it by its cause and answers 503.
        assertEquals("busy", done.getException(RetryLater.class).getMessage());
    }
}
