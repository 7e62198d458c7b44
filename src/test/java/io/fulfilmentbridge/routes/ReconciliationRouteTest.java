package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.firstpromoter.FirstPromoterCommissions;
import io.fulfilmentbridge.firstpromoter.ListedReward;
import io.fulfilmentbridge.firstpromoter.Reconciliation;
import io.fulfilmentbridge.firstpromoter.ReconciliationRun;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.webhook.AnswerDeadline;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/**
 * Route reconciliation: the run the bean starts (a mock here), each listed reward it says to apply read
 * as its delivery (the real deliveryReader) or approval (a mock firstPromoterCommissions) would be and
 * handed to route fulfilment (a mock) as a FulfilmentRequest of kind RECONCILIATION, its answer reported
 * back; a failure releases the claim, is reported, and the run goes on to its end.
 */
class ReconciliationRouteTest extends RouteTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Reconciliation reconciliation = mock(Reconciliation.class);
    private final FirstPromoterCommissions commissions = mock(FirstPromoterCommissions.class);
    private final ReconciliationRun run = mock(ReconciliationRun.class);
    private String timer;

    @Override
    protected List<String> routeFiles() {
        return List.of("reconciliation.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        when(reconciliation.enabled()).thenReturn(true);
        registry.bind("reconciliation", reconciliation);
        registry.bind("firstPromoterCommissions", commissions);
        registry.bind("deliveryReader", DoorSamples.reader());
        registry.bind("answerDeadline", new AnswerDeadline(SETTINGS));
    }

    @BeforeEach
    void replaceTheTimer() throws Exception {
        timer = context.getRouteDefinition("reconciliation").getInput().getEndpointUri();
        advise("reconciliation", route -> {
            route.replaceFromWith("direct:reconcile");
            route.mockEndpointsAndSkip("direct:fulfilment");
        });
        context.start();
    }

    private static ListedReward payout(long id, String unit) {
        ObjectNode item = JSON.createObjectNode().put("id", id).put("status", "pending").put("amount", "20").put("unit", unit)
                .put("created_at", "2026-06-01T10:00:00Z");
        item.putObject("promoter").put("id", 7001).put("cust_id", "acct-" + id).put("email", "p@example.org");
        return new ListedReward(FulfilmentKey.pending(id), unit, Instant.parse("2026-06-01T10:00:00Z"), null, item);
    }

    private static ListedReward commission(long id) {
        ObjectNode item = JSON.createObjectNode().put("id", id).put("status", "approved").put("unit", "credits").put("amount", 10);
        return new ListedReward(new FulfilmentKey(Source.COMMISSION, id), "credits", Instant.parse("2026-06-01T10:00:00Z"),
                Instant.parse("2026-06-02T10:00:00Z"), item);
    }

    private List<ReconciliationRun.Item> items(ListedReward... rewards) {
        return java.util.Arrays.stream(rewards).map(reward -> new ReconciliationRun.Item(run, reward)).toList();
    }

    @Test
    void asksEverySecondWhetherARunIsDue() {
        // Whether one is due, and the interval between runs, is the database's (one run at a time across instances).
        assertEquals("timer:reconciliation?delay=1000&period=1000", timer);
    }

    @Test
    void noRunDueHereDoesNothingMore() throws Exception {
        when(reconciliation.start()).thenReturn(null);
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        Exchange done = template.send("direct:reconcile", exchange -> { });

        assertNull(done.getException());
        getMockEndpoint("mock:direct:fulfilment").assertIsSatisfied();
        verify(reconciliation, never()).finish(any());
        verify(reconciliation, never()).act(any(), any());
    }

    @Test
    void eachRewardTheBeanSaysToApplyEntersRouteFulfilmentAsReadAndItsAnswerIsReported() throws Exception {
        ListedReward v1 = payout(91, "credits");
        ListedReward left = payout(92, "credits");
        ListedReward v2 = commission(88901);
        when(reconciliation.start()).thenReturn(run);
        when(run.items()).thenReturn(items(v1, left, v2));
        when(reconciliation.act(run, v1)).thenReturn(true);
        when(reconciliation.act(run, left)).thenReturn(false);
        when(reconciliation.act(run, v2)).thenReturn(true);
        // FirstPromoter gives this one itself: nothing to apply.
        when(commissions.reconciled(eq(v2), any(Deadline.class))).thenReturn(null);
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(1);
        fulfilment.whenAnyExchangeReceived(exchange -> exchange.setProperty("answer", Answer.granted("credited 20 credits")));

        Exchange done = template.send("direct:reconcile", exchange -> { });

        assertNull(done.getException());
        fulfilment.assertIsSatisfied();
        Exchange entered = fulfilment.getExchanges().get(0);
        FulfilmentRequest request = entered.getMessage().getBody(FulfilmentRequest.class);
        assertEquals(FulfilmentRequest.Kind.RECONCILIATION, request.kind());
        assertEquals(FulfilmentKey.pending(91), request.fulfilment().key());
        assertEquals("credits", request.fulfilment().unit());
        assertEquals(new BigDecimal("20"), request.fulfilment().amount());
        assertEquals("acct-91", request.fulfilment().custId());
        assertEquals("reconciliation", request.fulfilment().eventId());
        assertEquals(DeliveryLabels.of(91L), entered.getProperty("labels", DeliveryLabels.class));
        assertNotNull(entered.getProperty("deadline", Deadline.class));
        InOrder order = inOrder(reconciliation);
        order.verify(reconciliation).act(run, v1);
        order.verify(reconciliation).applied(run, v1, Answer.granted("credited 20 credits"));
        order.verify(reconciliation).act(run, left);
        order.verify(reconciliation).act(run, v2);
        order.verify(reconciliation).applied(eq(run), eq(v2), isNull());
        order.verify(reconciliation).finish(run);
        verify(reconciliation, never()).applied(eq(run), eq(left), any());
        verifyNoInteractions(claims);
    }

    @Test
    void aFailureReleasesTheClaimIsReportedAndTheRunGoesOnToItsEnd() throws Exception {
        ListedReward first = payout(93, "points");
        ListedReward second = payout(94, "points");
        when(reconciliation.start()).thenReturn(run);
        when(run.items()).thenReturn(items(first, second));
        when(reconciliation.act(eq(run), any())).thenReturn(true);
        Claim claim = new Claim(FulfilmentKey.pending(93), "lease-of-reconciliation", 1, null);
        MockEndpoint fulfilment = getMockEndpoint("mock:direct:fulfilment");
        fulfilment.expectedMessageCount(2);
        fulfilment.whenExchangeReceived(1, exchange -> {
            exchange.setProperty("claim", claim);
            throw new RetryLater("the ledger database is unavailable; retry later");
        });
        fulfilment.whenExchangeReceived(2, exchange -> exchange.setProperty("answer", Answer.granted("credited")));

        Exchange done = template.send("direct:reconcile", exchange -> { });

        assertNull(done.getException());
        fulfilment.assertIsSatisfied();
        // The bean releases the claim the failed attempt took (Reconciliation.failed).
        org.mockito.ArgumentCaptor<Throwable> failure = org.mockito.ArgumentCaptor.forClass(Throwable.class);
        verify(reconciliation).failed(eq(run), eq(first), eq(claim), any(Deadline.class), failure.capture());
        assertInstanceOf(RetryLater.class, failure.getValue());
        verify(reconciliation, never()).applied(eq(run), eq(first), any());
        verify(reconciliation).applied(run, second, Answer.granted("credited"));
        verify(reconciliation).finish(run);
    }

    @Test
    void aRewardThatCannotBeReadAsADeliveryIsReportedFailedNotApplied() throws Exception {
        ObjectNode noPromoter = JSON.createObjectNode().put("id", 95).put("status", "pending").put("amount", "20").put("unit", "credits");
        ListedReward unreadable = new ListedReward(FulfilmentKey.pending(95), "credits", Instant.parse("2026-06-01T10:00:00Z"), null,
                noPromoter);
        when(reconciliation.start()).thenReturn(run);
        when(run.items()).thenReturn(items(unreadable));
        when(reconciliation.act(run, unreadable)).thenReturn(true);
        getMockEndpoint("mock:direct:fulfilment").expectedMessageCount(0);

        template.send("direct:reconcile", exchange -> { });

        getMockEndpoint("mock:direct:fulfilment").assertIsSatisfied();
        org.mockito.ArgumentCaptor<Throwable> failure = org.mockito.ArgumentCaptor.forClass(Throwable.class);
        verify(reconciliation).failed(eq(run), eq(unreadable), isNull(), any(Deadline.class), failure.capture());
        // As thrown inside Camel's wrapper around the bean call; the bean reads the cause.
        assertInstanceOf(io.fulfilmentbridge.webhook.RejectedDelivery.class, failure.getValue().getCause());
        assertEquals("data.promoter is required and must be an object", failure.getValue().getCause().getMessage());
        verify(reconciliation).finish(run);
    }
}
