package io.fulfilmentbridge.routes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fulfilmentbridge.camel.FulfilmentTransaction;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Source;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Route payout-relay, polling the payout outbox of an in-memory H2 database with the bridge's migrations:
 * each row is sent once to the payout queue, with its duplicate id, and deleted only when the broker has it.
 */
class PayoutRelayRouteTest extends RouteTestSupport {

    private static final String MESSAGE_92 = "{\"fulfilment_id\": 92, \"attempt\": 1}";
    private static final String MESSAGE_93 = "{\"fulfilment_id\": 93, \"attempt\": 2}";

    private final RouteDatabase database = new RouteDatabase();

    @Override
    protected List<String> routeFiles() {
        return List.of("payout-relay.camel.yaml");
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getPropertiesComponent().addInitialProperty("bridge.cash.relay-interval", "200");
        return context;
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        database.migrate();
        registry.bind("dataSource", database.dataSource); // the sql component's
        registry.bind("fulfilmentTransaction", new FulfilmentTransaction(database.transaction));
    }

    @BeforeEach
    void replaceTheQueue() throws Exception {
        // Written before the relay's first poll (a second after the start); 93 is the older row, sent first.
        database.outboxRow(FulfilmentKey.pending(93), 2, MESSAGE_93, "2026-12-01 10:00:00");
        database.outboxRow(FulfilmentKey.pending(92), 1, MESSAGE_92, "2026-12-01 10:00:01");
        advise("payout-relay", route ->
                route.interceptSendToEndpoint("jms:queue:payouts*").skipSendToOriginalEndpoint().to("mock:payouts"));
    }

    @Test
    void eachRowIsSentOnceWithItsDuplicateIdThenDeleted() throws Exception {
        MockEndpoint payouts = getMockEndpoint("mock:payouts");
        payouts.expectedBodiesReceived(MESSAGE_93, MESSAGE_92);
        context.start();

        payouts.assertIsSatisfied();
        await().atMost(Duration.ofSeconds(10)).until(() -> database.outboxRows() == 0);
        Exchange first = payouts.getExchanges().get(0);
        // Nothing of the sql component's headers: only the id the broker drops a resent attempt by.
        assertEquals(Map.of("_AMQ_DUPL_ID", "fulfilment-93-2"), first.getMessage().getHeaders());
        assertEquals(Map.of("_AMQ_DUPL_ID", "fulfilment-92-1"), payouts.getExchanges().get(1).getMessage().getHeaders());
        assertEquals("jms://queue:payouts?deliveryPersistent=true&exchangePattern=InOnly&jmsMessageType=Text",
                first.getProperty(Exchange.INTERCEPTED_ENDPOINT));
        Thread.sleep(500); // later polls find nothing to send again
        assertEquals(2, payouts.getReceivedCounter());
    }

    @Test
    void aRowTheBrokerDidNotTakeStaysAndIsResentWithTheSameDuplicateId() throws Exception {
        database.jdbc.update("DELETE FROM payout_outbox WHERE fulfilment_id = 92");
        MockEndpoint payouts = getMockEndpoint("mock:payouts");
        payouts.whenExchangeReceived(1, exchange -> {
            throw new IllegalStateException("the broker is down");
        });
        payouts.expectedBodiesReceived(MESSAGE_93, MESSAGE_93);
        context.start();

        // The second poll finds the row again: its delete was rolled back with the failed send.
        payouts.assertIsSatisfied();
        await().atMost(Duration.ofSeconds(10)).until(() -> database.outboxRows() == 0);
        assertEquals(payouts.getExchanges().get(0).getMessage().getHeaders(), payouts.getExchanges().get(1).getMessage().getHeaders());
        assertEquals("fulfilment-93-2", payouts.getExchanges().get(1).getMessage().getHeader("_AMQ_DUPL_ID"));
    }

    @Test
    void aRowAnotherInstanceDeletedFirstIsNotSent() throws Exception {
        database.jdbc.update("DELETE FROM payout_outbox WHERE fulfilment_id = 92");
        MockEndpoint payouts = getMockEndpoint("mock:payouts");
        payouts.expectedMessageCount(0);
        MockEndpoint deleting = getMockEndpoint("mock:deleting");
        deleting.expectedMinimumMessageCount(1);
        advise("payout-relay", route -> route.weaveByToUri("sql:DELETE*").before()
                // Another bridge instance relays the same row between this one's poll and its delete.
                .process(exchange -> database.jdbc.update("DELETE FROM payout_outbox WHERE source = ? AND fulfilment_id = 93",
                        Source.FULFILMENT_PENDING.ledgerSource()))
                .to("mock:deleting"));
        context.start();

        deleting.assertIsSatisfied();
        payouts.assertIsSatisfied(300);
        assertEquals(0, database.outboxRows());
    }
}
