package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.firstpromoter.CommissionApprovals;
import io.fulfilmentbridge.firstpromoter.FirstPromoterCommissions;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.ApprovedReward;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.webhook.DeliveryReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Route commission-approval: an approved commission's reward handed to route fulfilment, as FirstPromoter's
 * API names it (a mock here), unless the bridge does not apply it or its outcome was decided before.
 */
class CommissionApprovalRouteTest extends RouteTestSupport {

    private final FirstPromoterCommissions commissions = mock(FirstPromoterCommissions.class);
    private final DeliveryReader reader = DoorSamples.reader();
    /** v2-docs-commission-approved.json, as route firstpromoter-events read it. */
    private final CommissionEvent approval = event("v2-docs-commission-approved.json", "points");
    /** Commission 88901's reward, as the API names its recipient: the referred customer. */
    private final Fulfilment reward = new Fulfilment(new FulfilmentKey(Source.COMMISSION, 88901), approval.eventId(), "points",
            new BigDecimal("500"), "approved", 7101, null, "user@example.com", new Recipient(Recipient.Kind.REFERRAL, 55678), null);

    @Override
    protected List<String> routeFiles() {
        return List.of("commission-approval.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("commissionApprovals", new CommissionApprovals(commissions, decisions));
    }

    @BeforeEach
    void mockRouteFulfilment() throws Exception {
        advise("commission-approval", route -> route.mockEndpointsAndSkip("direct:fulfilment"));
        context.start();
    }

    private CommissionEvent event(String sample, String unit) {
        String body = new String(DoorSamples.body(sample), StandardCharsets.UTF_8);
        body = body.replaceFirst("\"unit\": \"[a-z_]+\"", "\"unit\": \"" + unit + "\"");
        return reader.commissionEvent(reader.read(body.getBytes(StandardCharsets.UTF_8)));
    }

    private Exchange approve(CommissionEvent event) {
        Exchange exchange = createExchangeWithBody("");
        exchange.setProperty("commissionEvent", event);
        exchange.setProperty("deadline", deadline);
        return template.send("direct:commission-approval", exchange);
    }

    @Test
    void aCashCommissionIsIgnoredWithoutAskingTheApi() throws Exception {
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        Exchange done = approve(event("v2-docs-commission-cash.json", "cash"));

        assertEquals(Answer.ignored("a cash commission: FirstPromoter pays it, nothing done"), done.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(commissions, decisions);
    }

    @Test
    void anUnknownUnitIsIgnoredWithoutAskingTheApi() throws Exception {
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        Exchange done = approve(event("v2-docs-commission-approved.json", "stars"));

        assertEquals(Answer.ignored("not a reward unit the bridge applies: nothing done"), done.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(commissions, decisions);
    }

    @Test
    void aCommissionDecidedBeforeIsAnsweredWithoutTheApi() throws Exception {
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);
        Answer before = Answer.granted("granted before");
        when(decisions.settledBefore(approval)).thenReturn(before);

        Exchange done = approve(approval);

        assertSame(before, done.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(commissions);
    }

    @Test
    void deniedInTheApiIsAnsweredAsTheDecisionsSay() throws Exception {
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);
        when(commissions.approvedReward(approval, deadline)).thenReturn(ApprovedReward.denied(reward, "commission 88901 is denied"));
        Answer denied = Answer.ignored("commission 88901 is denied in FirstPromoter: nothing applied");
        when(decisions.deniedByFirstPromoter(approval, "commission 88901 is denied")).thenReturn(denied);

        Exchange done = approve(approval);

        assertSame(denied, done.getProperty("answer"));
        verify(decisions).deniedByFirstPromoter(approval, "commission 88901 is denied");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void ignoredByTheApiIsAnsweredIgnoredWithItsReason() throws Exception {
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);
        when(commissions.approvedReward(approval, deadline))
                .thenReturn(ApprovedReward.ignore(reward, "FirstPromoter applies this reward itself"));

        Exchange done = approve(approval);

        assertEquals(Answer.ignored("FirstPromoter applies this reward itself"), done.getProperty("answer"));
        verify(decisions, never()).deniedByFirstPromoter(approval, "FirstPromoter applies this reward itself");
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void anApplyReachesRouteFulfilmentAsAnApprovalAtTheEventsTime() throws Exception {
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        when(commissions.approvedReward(approval, deadline)).thenReturn(ApprovedReward.apply(reward));

        approve(approval);

        fulfilment.assertIsSatisfied();
        assertEquals(new FulfilmentRequest(FulfilmentRequest.Kind.APPROVAL, reward, Instant.parse("2025-01-19T10:30:00Z"), null, null),
                fulfilment.getExchanges().get(0).getMessage().getBody(FulfilmentRequest.class));
        assertSame(deadline, fulfilment.getExchanges().get(0).getProperty("deadline"));
    }

    @Test
    void aParkReachesRouteFulfilmentWithItsReason() throws Exception {
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        when(commissions.approvedReward(approval, deadline))
                .thenReturn(ApprovedReward.park(reward, "the referral has no uid: whose account it is cannot be told"));

        approve(approval);

        fulfilment.assertIsSatisfied();
        assertEquals(new FulfilmentRequest(FulfilmentRequest.Kind.APPROVAL, reward, Instant.parse("2025-01-19T10:30:00Z"), null,
                "the referral has no uid: whose account it is cannot be told"),
                fulfilment.getExchanges().get(0).getMessage().getBody(FulfilmentRequest.class));
    }

    @Test
    void retryLaterFromTheApiKeepsTheApprovalUnappliedAndFailsTheExchange() throws Exception {
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);
        when(commissions.approvedReward(approval, deadline)).thenThrow(new RetryLater("FirstPromoter's API timed out; retry later"));

        Exchange done = approve(approval);

        verify(decisions).keepUnapplied(approval);
        // The door's route configuration (fulfilment-outcomes) answers it 503 with its message, which ends with the API's reason.
        String message = done.getException(RetryLater.class).getMessage();
        assertEquals("FirstPromoter's API timed out; retry later", message);
        assertNull(done.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
    }

    /**
     * Review: an approval without a timestamp (docs/promises.md: "timestamp, when present"; "An approval or denial
     * without a timestamp cannot be ordered") was claimed with a null time before the refactor and applied. It must
     * still reach route fulfilment, not fail the exchange (which route error-handling answers 500 error for ever).
     */
    @Test
    void anApprovalWithoutATimestampStillReachesRouteFulfilment() throws Exception {
        String body = new String(DoorSamples.body("v2-docs-commission-approved.json"), StandardCharsets.UTF_8)
                .replaceFirst("\"unit\": \"[a-z_]+\"", "\"unit\": \"points\"")
                .replaceFirst(",\\s*\"timestamp\": \"[^\"]+\"", "");
        CommissionEvent untimed = reader.commissionEvent(reader.read(body.getBytes(StandardCharsets.UTF_8)));
        assertNull(untimed.occurredAt(), "the sample without its timestamp");
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        when(commissions.approvedReward(untimed, deadline)).thenReturn(ApprovedReward.apply(reward));

        Exchange done = approve(untimed);

        assertNull(done.getException(), () -> "the approval failed: " + done.getException());
        fulfilment.assertIsSatisfied();
        // An approval, so claimed like one: never a first delivery's unclaimed fast path.
        assertEquals(new FulfilmentRequest(FulfilmentRequest.Kind.APPROVAL, reward, null, null, null),
                fulfilment.getExchanges().get(0).getMessage().getBody(FulfilmentRequest.class));
    }
}
