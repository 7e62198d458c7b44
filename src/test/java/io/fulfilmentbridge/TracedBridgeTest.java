package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

/**
 * The bridge with traces on (docs/operations.md, Traces), as an operator turns them on:
 * management.otlp.tracing.endpoint set (a stand-in collector); every finished span is also kept in
 * memory for the test to read. After each test no span's name, attributes, events or status holds a
 * secret: the samples' promoter tokens, the webhook secrets, the Stripe key, and each class's own
 * ({@link #ownSecrets()}).
 */
@Import(TracedBridgeTest.InMemorySpans.class)
@TestPropertySource(properties = {"management.otlp.tracing.endpoint=${traces-test.collector}",
        "management.tracing.opentelemetry.export.schedule-delay=100ms"})
public abstract class TracedBridgeTest extends BridgeTest {

    private static final String COLLECTOR_PROPERTY = "traces-test.collector";

    protected static final WireMockServer COLLECTOR = new WireMockServer(options().dynamicPort());

    // The switch is read while the environment is prepared, before a @DynamicPropertySource is added:
    // the endpoint's placeholder names a system property set here, once for the test JVM, whose
    // traced contexts (one per configuration, cached) all export to this collector until it ends.
    static {
        COLLECTOR.start();
        COLLECTOR.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/v1/traces")).willReturn(aResponse().withStatus(200)));
        System.setProperty(COLLECTOR_PROPERTY, COLLECTOR.baseUrl() + "/v1/traces");
        Runtime.getRuntime().addShutdownHook(new Thread(COLLECTOR::stop));
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class InMemorySpans {
        @Bean
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }
    }

    @Autowired
    protected InMemorySpanExporter spans;

    /** What no span of this class's tests may hold beyond the common secrets: its keys, headers, tokens. */
    protected List<String> ownSecrets() {
        return List.of();
    }

    @BeforeEach
    void forgetSpans() {
        spans.reset();
    }

    @AfterEach
    void noSecretInAnySpan() {
        List<String> secrets = new ArrayList<>(List.of("da954kn43856nacueroytnjrwg46k5", "dsf23fd3", "k3j5h6g7f8d9s0a1q2w3e4r5t6y7u8i9",
                "x9y8z7w6", "p0o9i8u7y6t5r4e3w2q1a2s3d4f5g6h7", SECRET, OTHER_SECRET, STRIPE_KEY, "token="));
        secrets.addAll(ownSecrets());
        List<SpanData> seen = spans.getFinishedSpanItems();
        assertThat(seen).isNotEmpty();
        for (SpanData span : seen) {
            assertThat(span.getName()).doesNotContain(secrets);
            assertThat(span.getAttributes().toString()).as(span.getName()).doesNotContain(secrets);
            assertThat(span.getEvents().toString()).as(span.getName()).doesNotContain(secrets);
            assertThat(span.getStatus().toString()).as(span.getName()).doesNotContain(secrets);
        }
    }

    /** Waits for a finished span matching, then answers every finished span of its trace. */
    protected List<SpanData> traceWith(Predicate<SpanData> marker) {
        SpanData found = awaitSpan(marker);
        // The root ends last: wait for the trace's server span too.
        awaitTrue(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getTraceId().equals(found.getTraceId()) && !s.getParentSpanContext().isValid()));
        return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(found.getTraceId())).toList();
    }

    protected SpanData awaitSpan(Predicate<SpanData> marker) {
        awaitTrue(() -> spans.getFinishedSpanItems().stream().anyMatch(marker));
        return spans.getFinishedSpanItems().stream().filter(marker).findFirst().orElseThrow();
    }

    /** The trace's one root, and every other span's parent in the trace. */
    protected static SpanData rootOf(List<SpanData> trace) {
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

    protected static boolean descendsFrom(List<SpanData> trace, SpanData span, SpanData ancestor) {
        Map<String, SpanData> byId = trace.stream().collect(Collectors.toMap(SpanData::getSpanId, s -> s));
        for (SpanData at = span; at != null; at = byId.get(at.getParentSpanId())) {
            if (at.getParentSpanId().equals(ancestor.getSpanId())) {
                return true;
            }
        }
        return false;
    }

    protected static SpanData named(List<SpanData> trace, String name) {
        return trace.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + describe(trace)));
    }

    /** The trace's spans of this system's calls (named "<system> ..."), in the order they started. */
    protected static List<SpanData> callsOf(List<SpanData> trace, String system) {
        return trace.stream().filter(s -> s.getName().startsWith(system + " "))
                .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
    }

    /**
     * Each of these calls is a client span of the system, carrying only its system and call (method and
     * path) as attributes, under the route span named route, which is under the trace's root.
     */
    protected static void assertClientCallsUnder(List<SpanData> trace, List<SpanData> calls, String system, String route) {
        SpanData root = rootOf(trace);
        SpanData routeSpan = named(trace, route);
        assertThat(descendsFrom(trace, routeSpan, root)).as(route + " under the root in " + describe(trace)).isTrue();
        assertThat(calls).as(describe(trace)).isNotEmpty().allSatisfy(call -> {
            assertThat(call.getKind()).as(call.getName()).isEqualTo(SpanKind.CLIENT);
            assertThat(descendsFrom(trace, call, routeSpan)).as(call.getName() + " under " + route + " in " + describe(trace)).isTrue();
            String what = call.getName().substring(system.length() + 1);
            assertThat(call.getAttributes().asMap()).as(call.getName()).hasSize(2).allSatisfy((key, value) ->
                    assertThat(key.getKey() + "=" + value).isIn("system=" + system, "call=" + what));
        });
    }

    protected static List<String> names(List<SpanData> trace) {
        return trace.stream().map(SpanData::getName).toList();
    }

    protected static String describe(List<SpanData> trace) {
        return trace.stream().map(s -> s.getName() + "[" + s.getKind() + " " + s.getSpanId() + "<" + s.getParentSpanId() + "]")
                .collect(Collectors.joining(", "));
    }

    protected static void awaitTrue(java.util.function.BooleanSupplier proof) {
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
