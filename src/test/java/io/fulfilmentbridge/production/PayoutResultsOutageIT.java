package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 4b: PostgreSQL is stopped while the payout worker reports a payout paid. The result waits
 * (the broker's default settings would dead-letter it within milliseconds) and is recorded once the
 * database is back; nothing lands on the dead-letter queue.
 */
@Order(4)
class PayoutResultsOutageIT extends ProductionSupport {

    @Test
    void aPaidResultSentWhileTheDatabaseIsStoppedIsRecordedAfterIt() throws Exception {
        assumeTrue(ProductionEnv.canControl("BRIDGE_IT_DB_STOP", "BRIDGE_IT_DB_START"), "no commands to stop and start the database");
        BridgeProcess bridge = Bridges.a();
        long id = nextId();
        assertThat(deliver(bridge, delivery("cash.json", id, Map.of("amount", 1500))).outcome()).isEqualTo("queued");
        awaitOutboxEmpty(List.of(id), Duration.ofSeconds(20));
        drainPayouts(Duration.ofMillis(500));
        String paid = "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_outage\"}";

        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(ProductionEnv.brokerUrl(),
                ProductionEnv.brokerUser(), ProductionEnv.brokerPassword());
        long outage;
        List<String> deadLetters = new ArrayList<>();
        try (factory; Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            ProductionEnv.stopDatabase();
            long stoppedAt = System.nanoTime();
            try {
                session.createProducer(session.createQueue("payouts.results")).send(session.createTextMessage(paid));
                // Several of the bridge's retries long (the broker's defaults dead-letter within milliseconds).
                deadLetters.addAll(deadLetters(session, Duration.ofSeconds(6)));
            } finally {
                ProductionEnv.startDatabase();
            }
            outage = (System.nanoTime() - stoppedAt) / 1_000_000;
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"PAID".equals(stateOrNull(id)) && System.nanoTime() < end) {
                BridgeProcess.sleep(100);
            }
            deadLetters.addAll(deadLetters(session, Duration.ofSeconds(1)));
        }
        assertThat(deadLetters).as("dead letters").doesNotContain(paid);
        assertThat(state(id)).isEqualTo("PAID");
        assertThat(jdbc.queryForObject("SELECT payout_reference FROM fulfilments WHERE fulfilment_id = ?", String.class, id))
                .isEqualTo("po_outage");
        summary(String.format("scenario 4b (PostgreSQL stopped for %d ms while a paid result arrived): recorded after the restart, "
                + "dead-lettered 0", outage));
    }

    private static String stateOrNull(long id) {
        try {
            return state(id);
        } catch (RuntimeException databaseStillStarting) {
            return null;
        }
    }

    private static List<String> deadLetters(Session session, Duration listen) throws Exception {
        List<String> bodies = new ArrayList<>();
        long end = System.nanoTime() + listen.toNanos();
        try (MessageConsumer dlq = session.createConsumer(session.createQueue("DLQ"))) {
            while (System.nanoTime() < end) {
                Message message = dlq.receive(250);
                if (message instanceof TextMessage text) {
                    bodies.add(text.getText());
                }
            }
        }
        return bodies;
    }
}
