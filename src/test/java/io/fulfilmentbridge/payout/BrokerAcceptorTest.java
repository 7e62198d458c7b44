package io.fulfilmentbridge.payout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fulfilmentbridge.BridgeTest;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.activemq.artemis.core.remoting.impl.netty.NettyAcceptor;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

/** Contract 8: the embedded broker's TCP acceptor takes only the payout worker's login. */
class BrokerAcceptorTest extends BridgeTest {

    private static final String WORKER = "payout-worker";

    @Autowired
    private EmbeddedActiveMQ broker;

    @Value("${bridge.broker.password}")
    private String workerPassword;

    @Test
    void withoutTheWorkersLoginNobodySendsAResultOrTakesAPayout() {
        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        await().atMost(Duration.ofSeconds(5)).until(() -> count("payout_outbox") == 0);

        List<String[]> logins = List.of(
                new String[] {null, null},
                new String[] {"", ""},
                new String[] {WORKER, ""},
                new String[] {WORKER, "wrong-password"},
                new String[] {WORKER, workerPassword + "x"},
                new String[] {"someone", workerPassword},
                new String[] {"guest", "guest"},
                new String[] {"admin", "admin"},
                // Artemis' cluster user with its default password.
                new String[] {"ACTIVEMQ.CLUSTER.ADMIN.USER", "CHANGE ME!!"});
        for (String[] login : logins) {
            String as = login[0] + "/" + login[1];
            assertThatThrownBy(() -> sendResult(login[0], login[1], paid(id))).as("send as %s", as).isInstanceOf(JMSException.class);
            assertThatThrownBy(() -> takePayouts(login[0], login[1])).as("consume as %s", as).isInstanceOf(JMSException.class);
        }

        // Nothing was forged and nothing taken: the payout is still there for the worker, unpaid.
        assertThat(state(id)).isEqualTo("QUEUED");
        assertThat(takePayoutsQuietly(WORKER, workerPassword)).anyMatch(body -> body.contains("\"fulfilment_id\":" + id + ","));
        assertThat(state(id)).isEqualTo("QUEUED");
    }

    @Test
    void withTheWorkersLoginAPayoutIsTakenAndItsResultRecorded() throws Exception {
        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");

        List<String> taken = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            taken.addAll(takePayouts(WORKER, workerPassword));
            return taken.stream().anyMatch(body -> body.contains("\"fulfilment_id\":" + id + ","));
        });
        sendResult(WORKER, workerPassword, paid(id));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state(id)).isEqualTo("PAID"));
    }

    private String tcpUrl() {
        NettyAcceptor acceptor = (NettyAcceptor) broker.getActiveMQServer().getRemotingService().getAcceptor("payout-worker");
        return "tcp://127.0.0.1:" + acceptor.getActualPort() + "?reconnectAttempts=0&callTimeout=5000";
    }

    private static String paid(long id) {
        return "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_forged\"}";
    }

    private void sendResult(String user, String password, String body) throws JMSException {
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(tcpUrl());
             Connection connection = factory.createConnection(user, password)) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            session.createProducer(session.createQueue("payouts.results")).send(session.createTextMessage(body));
        }
    }

    /** Takes every payout waiting on the queue over TCP. */
    private List<String> takePayouts(String user, String password) throws JMSException {
        List<String> bodies = new ArrayList<>();
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(tcpUrl());
             Connection connection = factory.createConnection(user, password)) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            try (MessageConsumer consumer = session.createConsumer(session.createQueue("payouts"))) {
                Message message;
                while ((message = consumer.receive(500)) != null) {
                    bodies.add(message instanceof TextMessage text ? text.getText() : "");
                }
            }
        }
        return bodies;
    }

    private List<String> takePayoutsQuietly(String user, String password) {
        try {
            return takePayouts(user, password);
        } catch (JMSException e) {
            throw new AssertionError("the payout worker's login was refused", e);
        }
    }
}
