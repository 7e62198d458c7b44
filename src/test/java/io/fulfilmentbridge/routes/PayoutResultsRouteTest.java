package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.camel.JmsMessageIds;
import io.fulfilmentbridge.payout.PayoutResults;
import java.util.List;
import java.util.Map;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Route payout-results: each result of the payout worker is recorded by payoutResults; one it refuses
 * goes, as it came and without any inbound header, to the dead-letter queue.
 */
class PayoutResultsRouteTest extends RouteTestSupport {

    private static final String RESULT = "{\"fulfilment_id\": 92, \"attempt\": 1, \"status\": \"paid\", \"reference\": \"tr_1\"}";
    /**
     * Inbound message properties named like Camel's own headers, in any letter case, and like the JMS message
     * id Camel maps as a header (a property of that name would replace it).
     */
    private static final Map<String, Object> INBOUND = Map.of("CamelSqlQuery", "DELETE FROM fulfilments",
            "CAMELJmsDestinationName", "payouts", "X-Sender", "worker-1", "JMSMessageID", "ID:forged");

    private final PayoutResults payoutResults = mock(PayoutResults.class);

    @Override
    protected List<String> routeFiles() {
        return List.of("payout-results.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("payoutResults", payoutResults);
        registry.bind("jmsMessageIds", new JmsMessageIds());
    }

    @BeforeEach
    void replaceTheQueues() throws Exception {
        advise("payout-results", route -> {
            route.replaceFromWith("direct:results");
            // What reaches payoutResults: the exchange as it is just before it is called.
            route.weaveByType(FilterDefinition.class).selectFirst().before().to("mock:before-record");
            route.interceptSendToEndpoint("jms:queue:DLQ*").skipSendToOriginalEndpoint().to("mock:dead-letter");
        });
        context.start();
    }

    @Test
    void aResultRecordedGoesNowhereElse() throws Exception {
        getMockEndpoint("mock:dead-letter").expectedMessageCount(0);

        template.sendBodyAndHeaders("direct:results", RESULT, INBOUND);

        // No JMS message here, so no message id: a header named like one is none.
        verify(payoutResults).record(eq(RESULT), isNull());
        verifyNoMoreInteractions(payoutResults);
        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aResultRefusedGoesAsItCameToTheDeadLetterQueue() throws Exception {
        when(payoutResults.record(anyString(), any())).thenReturn(true);
        MockEndpoint deadLetter = getMockEndpoint("mock:dead-letter");
        deadLetter.expectedBodiesReceived(RESULT);

        template.sendBodyAndHeaders("direct:results", RESULT, INBOUND);

        verify(payoutResults).record(eq(RESULT), isNull());
        deadLetter.assertIsSatisfied();
        assertEquals(Map.of(), deadLetter.getExchanges().get(0).getMessage().getHeaders());
    }

    @Test
    void noInboundHeaderReachesTheBean() throws Exception {
        MockEndpoint beforeRecord = getMockEndpoint("mock:before-record");
        beforeRecord.expectedMessageCount(1);

        template.sendBodyAndHeaders("direct:results", RESULT, Map.of("camelsqlquery", "DELETE FROM fulfilments",
                "CamelBeanMethodName", "toString"));

        beforeRecord.assertIsSatisfied();
        assertEquals(Map.of(), beforeRecord.getExchanges().get(0).getMessage().getHeaders());
        verify(payoutResults).record(eq(RESULT), isNull());
    }
}
