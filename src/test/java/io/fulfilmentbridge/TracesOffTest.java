package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.TextMessage;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;

/**
 * Traces off, the default (docs/operations.md, Traces): no tracer, no exporter, no tracing observation
 * handler, no Camel tracer, so a delivery does no tracing work; and the bridge works as ever, its
 * payout messages without a traceparent.
 */
class TracesOffTest extends BridgeTest {

    @Autowired
    private ApplicationContext context;

    @Autowired
    private CamelContext camel;

    @Autowired
    private ConnectionFactory connectionFactory;

    @LocalManagementPort
    private int managementPort;

    @Test
    void nothingTracesADelivery() {
        assertThat(context.getBean(Spans.class).on()).isFalse();
        assertThat(context.getBeanNamesForType(Tracer.class)).isEmpty();
        assertThat(context.getBeanNamesForType(TracingObservationHandler.class)).isEmpty();
        assertThat(context.getBeanNamesForType(SdkTracerProvider.class)).isEmpty();
        assertThat(context.getBeanNamesForType(SpanExporter.class)).isEmpty();
        assertThat(context.getBeanNamesForType(org.apache.camel.opentelemetry2.OpenTelemetryTracer.class)).isEmpty();
        assertThat(camel.getManagementStrategy().getEventNotifiers())
                .noneMatch(n -> n.getClass().getName().startsWith("org.apache.camel.telemetry"));
        for (Route route : camel.getRoutes()) {
            assertThat(route.getRoutePolicyList()).as(route.getRouteId())
                    .noneMatch(p -> p.getClass().getName().startsWith("org.apache.camel.telemetry"));
        }
        assertThat(((FilterRegistrationBean<?>) context.getBean("webhookTrace")).isEnabled()).isFalse();
    }

    /** Observed requests (Spring MVC's, Spring Security's on the management port) are answered as ever. */
    @Test
    void observedRequestsAreAnsweredAsEver() {
        assertAnswer(post(delivery("credits.json", nextId(), Map.of())), 200, "granted");
        for (String path : List.of("/actuator/health", "/actuator/health/readiness", "/actuator/prometheus")) {
            // Camel's consumer checks on /actuator/health are DOWN until each poller's first poll, a second after start.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path)).GET());
                assertThat(answer.statusCode()).as(path + ": " + answer.body()).isEqualTo(200);
            });
        }
    }

    @Test
    void aPayoutMessageCarriesNoTraceparent() throws Exception {
        long id = nextId();
        assertAnswer(post(delivery("cash.json", id, Map.of())), 202, "queued");
        TextMessage payout = TracesTest.payoutMessage(connectionFactory, id);
        assertThat(payout.propertyExists("traceparent")).isFalse();
    }
}
