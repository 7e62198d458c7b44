package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.TextMessage;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.TestPropertySource;

/**
 * Traces on (docs/operations.md, Traces), as an operator turns them on: management.otlp.tracing.endpoint
 * set (here a stand-in collector, which must receive them). Each delivery is one trace: the webhook's
 * span at its root, the routes and the billing system's calls under it; a cash payout's trace goes on
 * through the relay into the payout message's traceparent, and a result carrying the worker's
 * traceparent is processed in that trace. No span attribute or event holds a secret.
 */
@Import(TracesTest.InMemorySpans.class)
@TestPropertySource(properties = {"management.otlp.tracing.endpoint=${traces-test.collector}",
        "management.tracing.opentelemetry.export.schedule-delay=100ms"})
class TracesTest extends BridgeTest {

    private static final String COLLECTOR_PROPERTY = "traces-test.collector";

    private static final WireMockServer COLLECTOR = new WireMockServer(options().dynamicPort());

    // The switch is read while the environment is prepared, before a @DynamicPropertySource is added:
    // the endpoint's placeholder names a system property this class sets and clears.
    static {
        COLLECTOR.start();
        COLLECTOR.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/v1/traces")).willReturn(aResponse().withStatus(200)));
        System.setProperty(COLLECTOR_PROPERTY, COLLECTOR.baseUrl() + "/v1/traces");
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class InMemorySpans {
        @Bean
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }
    }

    @AfterAll
    static void stopCollector() {
        System.clearProperty(COLLECTOR_PROPERTY);
        COLLECTOR.stop();
    }

    @Autowired
    private InMemorySpanExporter spans;

    @Autowired
    private ConnectionFactory connectionFactory;

    @BeforeEach
    void forgetSpans() {
        spans.reset();
    }

    @AfterEach
    void noSecretInAnySpan() {
        List<String> secrets = List.of("da954kn43856nacueroytnjrwg46k5", "dsf23fd3", "k3j5h6g7f8d9s0a1q2w3e4r5t6y7u8i9", "x9y8z7w6",
                "p0o9i8u7y6t5r4e3w2q1a2s3d4f5g6h7", SECRET, OTHER_SECRET, STRIPE_KEY, "token=");
        List<SpanData> seen = spans.getFinishedSpanItems();
        assertThat(seen).isNotEmpty();
        for (SpanData span : seen) {
            assertThat(span.getName()).doesNotContain(secrets);
            assertThat(span.getAttributes().toString()).as(span.getName()).doesNotContain(secrets);
            assertThat(span.getEvents().toString()).as(span.getName()).doesNotContain(secrets);
            assertThat(span.getStatus().toString()).as(span.getName()).doesNotContain(secrets);
        }
    }

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

    /** Waits for a finished span matching, then answers every finished span of its trace. */
    private List<SpanData> traceWith(Predicate<SpanData> marker) {
        SpanData found = awaitSpan(marker);
        // The root ends last: wait for the trace's server span too.
        awaitTrue(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getTraceId().equals(found.getTraceId()) && !s.getParentSpanContext().isValid()));
        List<SpanData> trace = spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(found.getTraceId())).toList();
        return trace;
    }

    private SpanData awaitSpan(Predicate<SpanData> marker) {
        awaitTrue(() -> spans.getFinishedSpanItems().stream().anyMatch(marker));
        return spans.getFinishedSpanItems().stream().filter(marker).findFirst().orElseThrow();
    }

    /** The trace's one root, and every other span's parent in the trace. */
    private static SpanData rootOf(List<SpanData> trace) {
        List<SpanData> roots = trace.stream().filter(s -> !s.getParentSpanContext().isValid()).toList();
        assertThat(roots).as(describe(trace)).hasSize(1);
        Map<String, SpanData> byId = trace.stream().collect(Collectors.toMap(SpanData::getSpanId, s -> s));
        for (SpanData span : trace) {
            if (span != roots.get(0)) {
                assertThat(byId).as("parent of " + span.getName() + " in " + describe(trace)).containsKey(span.getParentSpanId());
            }
        }
        return roots.get(0);
    }

    private static boolean descendsFrom(List<SpanData> trace, SpanData span, SpanData ancestor) {
        Map<String, SpanData> byId = trace.stream().collect(Collectors.toMap(SpanData::getSpanId, s -> s));
        for (SpanData at = span; at != null; at = byId.get(at.getParentSpanId())) {
            if (at.getParentSpanId().equals(ancestor.getSpanId())) {
                return true;
            }
        }
        return false;
    }

    private static SpanData named(List<SpanData> trace, String name) {
        return trace.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + describe(trace)));
    }

    private static List<String> names(List<SpanData> trace) {
        return trace.stream().map(SpanData::getName).toList();
    }

    private static String describe(List<SpanData> trace) {
        return trace.stream().map(s -> s.getName() + "[" + s.getKind() + " " + s.getSpanId() + "<" + s.getParentSpanId() + "]")
                .collect(Collectors.joining(", "));
    }

    private static void awaitTrue(java.util.function.BooleanSupplier proof) {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!proof.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 15 s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
