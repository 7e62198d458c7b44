package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.TextMessage;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jms.core.JmsTemplate;

/**
 * Traces on (docs/operations.md, Traces), as an operator turns them on: management.otlp.tracing.endpoint
 * set (here a stand-in collector, which must receive them). Each delivery is one trace: the webhook's
 * span at its root, the routes and the billing system's calls under it; a cash payout's trace goes on
 * through the relay into the payout message's traceparent, and a result carrying the worker's
 * traceparent is processed in that trace. No span attribute or event holds a secret.
 */
class TracesTest extends TracedBridgeTest {

    @Autowired
    private ConnectionFactory connectionFactory;

    @Test
    void aCreditsDeliveryIsOneTraceFromTheWebhookThroughItsRoutes() {
        HttpResponse<String> answer = post(delivery("credits.json", nextId(), Map.of()));
        assertAnswer(answer, 200, "granted");

        List<SpanData> trace = traceWith(s -> s.getName().contains("credits"));
        SpanData root = rootOf(trace);
        assertThat(root.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(root.getName()).contains("fulfilment");
        assertThat(names(trace)).contains("fulfilment", "split-on-unit", "credits", "answer");
        assertThat(descendsFrom(trace, named(trace, "credits"), root)).isTrue();
        assertThat(names(trace)).noneMatch(n -> n.startsWith("stripe"));
        // The collector set by management.otlp.tracing.endpoint gets them too.
        awaitTrue(() -> !COLLECTOR.findAll(postRequestedFor(urlEqualTo("/v1/traces"))).isEmpty());
    }

    @Test
    void aFreeMonthsGrantHasItsStripeCallsUnderTheDelivery() {
        STRIPE.stubGrantableCustomer("cus_Pq7Xb2LrT0aZ1c", "sub_traced");
        HttpResponse<String> answer = post(delivery("free-months.json", nextId(), Map.of()));
        assertAnswer(answer, 200, "granted");

        List<SpanData> trace = traceWith(s -> s.getName().equals("stripe update subscription"));
        SpanData root = rootOf(trace);
        SpanData update = named(trace, "stripe update subscription");
        SpanData freeMonths = named(trace, "free-months");
        assertThat(descendsFrom(trace, update, freeMonths)).isTrue();
        assertThat(descendsFrom(trace, freeMonths, root)).isTrue();
        assertThat(names(trace)).contains("stripe retrieve customer");
        assertThat(update.getAttributes().asMap().toString()).contains("system=stripe").contains("call=update subscription");
        assertClientCallsUnder(trace, callsOf(trace, "stripe"), "stripe", "free-months");
    }

    @Test
    void aCashPayoutsTraceGoesThroughTheRelayAndTheMessageToItsResult() throws Exception {
        long id = nextId();
        assertAnswer(post(delivery("cash.json", id, Map.of())), 202, "queued");

        TextMessage payout = payoutMessage(id);
        String traceparent = payout.getStringProperty("traceparent");
        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        String traceId = traceparent.substring(3, 35);
        String relaySpanId = traceparent.substring(36, 52);

        List<SpanData> trace = traceWith(s -> s.getName().equals("payout relay") && s.getTraceId().equals(traceId));
        SpanData root = rootOf(trace);
        assertThat(root.getKind()).isEqualTo(SpanKind.SERVER);
        SpanData relay = named(trace, "payout relay");
        assertThat(relay.getSpanId()).isEqualTo(relaySpanId);
        assertThat(descendsFrom(trace, relay, named(trace, "cash-payout"))).as("the relay continues the delivery's trace").isTrue();

        // The payout worker continues the trace: its result carries a traceparent of its own span.
        String workerSpanId = "00f067aa0ba902b7";
        String result = "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_traced\"}";
        plainJms().send("payouts.results", session -> {
            TextMessage message = session.createTextMessage(result);
            message.setStringProperty("traceparent", "00-" + traceId + "-" + workerSpanId + "-01");
            return message;
        });
        awaitTrue(() -> "PAID".equals(state(id)));
        SpanData processing = awaitSpan(s -> s.getTraceId().equals(traceId) && s.getParentSpanId().equals(workerSpanId));
        assertThat(processing.getName()).isEqualTo("queue:payouts.results");
    }

    @Test
    void aResultWithoutAWellFormedTraceparentStartsATraceOfItsOwnAndIsRecordedAsEver() throws Exception {
        long id = nextId();
        assertAnswer(post(delivery("cash.json", id, Map.of())), 202, "queued");
        payoutMessage(id);
        String result = "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_untraced\"}";
        plainJms().send("payouts.results", session -> {
            TextMessage message = session.createTextMessage(result);
            message.setStringProperty("traceparent", "00-not-a-trace-01");
            return message;
        });
        awaitTrue(() -> "PAID".equals(state(id)));
        SpanData processing = awaitSpan(s -> s.getName().equals("queue:payouts.results"));
        assertThat(processing.getParentSpanContext().isValid()).isFalse();
    }

    @Test
    void aReplayIsATraceOfItsOwnWithItsStripeCalls() throws Exception {
        long id = nextId();
        String customer = "cus_traced_replay" + id;
        STRIPE.stubError("GET", "/v1/customers/" + customer, 404, "No such customer: '" + customer + "'");
        assertAnswer(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer))), 202, "parked");
        STRIPE.reset();
        STRIPE.stubGrantableCustomer(customer, "sub_traced_replay" + id);
        spans.reset();

        String answer = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer()
                .invoke(parkedFulfilmentsMBean(), "replay", new Object[] {id}, new String[] {"long"});
        assertThat(JSON.readTree(answer).get("outcome").asText()).isEqualTo("granted");

        List<SpanData> trace = traceWith(s -> s.getName().equals("stripe update subscription"));
        SpanData root = rootOf(trace);
        assertThat(root.getName()).isEqualTo("replay");
        assertThat(descendsFrom(trace, named(trace, "stripe update subscription"), named(trace, "free-months"))).isTrue();
        assertThat(names(trace)).contains("fulfilment", "answer").noneMatch(n -> n.startsWith("http"));
    }

    /** A JmsTemplate without Spring's observation, as a payout worker's own client sends. */
    private JmsTemplate plainJms() {
        return new JmsTemplate(connectionFactory);
    }

    private TextMessage payoutMessage(long id) {
        return payoutMessage(connectionFactory, id);
    }

    /** The payout message for this fulfilment, as a payout worker's own client receives it. */
    static TextMessage payoutMessage(jakarta.jms.ConnectionFactory connectionFactory, long id) {
        return new JmsTemplate(connectionFactory).execute(session -> {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            try (MessageConsumer consumer = session.createConsumer(session.createQueue("payouts"))) {
                while (System.nanoTime() < end) {
                    Message message = consumer.receive(100);
                    if (message instanceof TextMessage text && text.getText().contains("\"fulfilment_id\":" + id)) {
                        return text;
                    }
                }
            }
            throw new AssertionError("no payout message for " + id);
        }, true);
    }
}
