package io.fulfilmentbridge.routes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.payout.PayoutRelay;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Route payout-relay, polling the payout outbox of an in-memory H2 database with the bridge's migrations
 * and handing each row to the real payoutRelay bean, which sends to an in-VM Artemis broker (the embedded
 * broker's kind, its duplicate detection on): each row is sent once to the payout queue, a persistent text
 * message with its duplicate id, and deleted only when the broker has it.
 */
class PayoutRelayRouteTest extends RouteTestSupport {

    private static final String MESSAGE_92 = "{\"fulfilment_id\": 92, \"attempt\": 1}";
    private static final String MESSAGE_93 = "{\"fulfilment_id\": 93, \"attempt\": 2}";
    private static final AtomicInteger BROKERS = new AtomicInteger(100);

    private final RouteDatabase database = new RouteDatabase();
    private final String brokerUrl = "vm://" + BROKERS.incrementAndGet();
    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
    /** Connections the relay opened, and whether the next one fails (the broker down). */
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicBoolean brokerDown = new AtomicBoolean();
    /** Whether the relay's next commit fails after its send (the database gone before the commit). */
    private final AtomicBoolean commitFails = new AtomicBoolean();

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
        broker.setConfiguration(new ConfigurationImpl().setPersistenceEnabled(false).setSecurityEnabled(false)
                .addAcceptorConfiguration("in-vm", brokerUrl));
        broker.start();
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(database.dataSource) {
            @Override
            protected void doCommit(DefaultTransactionStatus status) {
                if (commitFails.getAndSet(false)) {
                    doRollback(status);
                    throw new TransactionSystemException("the database went away before the commit");
                }
                super.doCommit(status);
            }
        });
        registry.bind("payoutRelay", new PayoutRelay(database.jdbc, transaction, relayFactory(), CASH, io.fulfilmentbridge.tracing.Spans.off()));
    }

    /** The broker's connection factory, counting the connections opened, failing them while brokerDown. */
    private ConnectionFactory relayFactory() {
        ConnectionFactory artemis = new ActiveMQConnectionFactory(brokerUrl);
        return (ConnectionFactory) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ConnectionFactory.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("createConnection")) {
                        connections.incrementAndGet();
                        if (brokerDown.getAndSet(false)) {
                            throw new JMSException("the broker is down");
                        }
                    }
                    try {
                        return method.invoke(artemis, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @BeforeEach
    void outbox() {
        // Written before the relay's first poll (a second after the start); 93 is the older row, sent first.
        database.outboxRow(FulfilmentKey.pending(93), 2, MESSAGE_93, "2026-12-01 10:00:00");
        database.outboxRow(FulfilmentKey.pending(92), 1, MESSAGE_92, "2026-12-01 10:00:01");
    }

    @AfterEach
    void stopBroker() throws Exception {
        context.stop();
        broker.stop();
    }

    @Test
    void eachRowIsSentOnceWithItsDuplicateIdThenDeleted() throws Exception {
        context.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> database.outboxRows() == 0);
        Thread.sleep(500); // later polls find nothing to send again
        List<Message> payouts = payouts();
        assertEquals(List.of(MESSAGE_93, MESSAGE_92), payouts.stream().map(PayoutRelayRouteTest::text).toList());
        assertEquals(List.of("fulfilment-93-2", "fulfilment-92-1"), payouts.stream().map(PayoutRelayRouteTest::duplicateId).toList());
        for (Message payout : payouts) {
            assertInstanceOf(TextMessage.class, payout);
            assertEquals(DeliveryMode.PERSISTENT, payout.getJMSDeliveryMode());
        }
    }

    @Test
    void aRowTheBrokerDidNotTakeStaysAndIsSentAtTheNextPoll() throws Exception {
        database.jdbc.update("DELETE FROM payout_outbox WHERE fulfilment_id = 92");
        brokerDown.set(true);
        context.start();

        // The first try failed, and its delete was rolled back with it: the next poll found the row again.
        await().atMost(Duration.ofSeconds(10)).until(() -> database.outboxRows() == 0);
        assertTrue(connections.get() >= 2, "tried again: " + connections.get());
        List<Message> payouts = payouts();
        assertEquals(List.of("fulfilment-93-2"), payouts.stream().map(PayoutRelayRouteTest::duplicateId).toList());
        assertEquals(MESSAGE_93, text(payouts.get(0)));
    }

    @Test
    void aSendWhoseCommitFailedIsSentAgainWithTheSameDuplicateIdAndTheBrokerDropsIt() throws Exception {
        database.jdbc.update("DELETE FROM payout_outbox WHERE fulfilment_id = 92");
        commitFails.set(true);
        context.start();

        // Sent twice (the row stayed after the lost commit); the broker kept one message.
        await().atMost(Duration.ofSeconds(10)).until(() -> database.outboxRows() == 0);
        assertEquals(2, connections.get());
        List<Message> payouts = payouts();
        assertEquals(List.of("fulfilment-93-2"), payouts.stream().map(PayoutRelayRouteTest::duplicateId).toList());
    }

    @Test
    void aRowAnotherInstanceDeletedFirstIsNotSent() throws Exception {
        database.jdbc.update("DELETE FROM payout_outbox WHERE fulfilment_id = 92");
        MockEndpoint relaying = getMockEndpoint("mock:relaying");
        advise("payout-relay", route -> route.weaveByType(BeanDefinition.class).before()
                // Another bridge instance relays the same row between this one's poll and its delete.
                .process(exchange -> database.jdbc.update("DELETE FROM payout_outbox WHERE source = ? AND fulfilment_id = 93",
                        Source.FULFILMENT_PENDING.ledgerSource()))
                .to("mock:relaying"));
        context.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> relaying.getReceivedCounter() >= 1);
        Thread.sleep(300); // the relay's delete ran: it found the row gone
        assertEquals(List.of(), payouts());
        assertEquals(0, connections.get(), "nothing sent");
        assertEquals(0, database.outboxRows());
    }

    /** What the payout worker finds on the queue, in order. */
    private List<Message> payouts() throws Exception {
        JmsTemplate worker = new JmsTemplate(new ActiveMQConnectionFactory(brokerUrl));
        worker.setReceiveTimeout(300);
        List<Message> received = new ArrayList<>();
        for (Message message = worker.receive(CASH.queue()); message != null; message = worker.receive(CASH.queue())) {
            received.add(message);
        }
        assertNull(worker.receive(CASH.queue()));
        return received;
    }

    private static String text(Message message) {
        try {
            return ((TextMessage) message).getText();
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String duplicateId(Message message) {
        try {
            return message.getStringProperty("_AMQ_DUPL_ID");
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
    }
}
