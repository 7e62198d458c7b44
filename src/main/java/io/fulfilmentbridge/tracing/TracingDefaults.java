package io.fulfilmentbridge.tracing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Traces are on only when they have somewhere to go (docs/operations.md, Traces): when
 * management.otlp.tracing.endpoint is set, unless management.tracing.enabled is false. Off, Spring Boot's
 * tracer and its observation handlers are not set up at all (Spring Boot 3.5 sets them up whenever
 * Micrometer Tracing is on the class path; management.tracing.enabled alone only stops the export), and
 * neither is Camel's tracer (camel.opentelemetry2.enabled): a delivery does no tracing work.
 */
public class TracingDefaults implements EnvironmentPostProcessor {

    static final String ENDPOINT = "management.otlp.tracing.endpoint";
    static final String ENABLED = "management.tracing.enabled";
    static final String EXCLUDE = "spring.autoconfigure.exclude";
    private static final String TRACING = "org.springframework.boot.actuate.autoconfigure.tracing.";
    /**
     * What sets up a tracer, its observation handlers, its exporter and Prometheus's exemplars (which read
     * the current span); the no-op tracer too: with any Tracer bean, Spring Boot's metrics handler of
     * observations expects the tracing handler's context and fails every observed request without it.
     */
    static final List<String> OFF = List.of(TRACING + "MicrometerTracingAutoConfiguration", TRACING + "NoopTracerAutoConfiguration",
            TRACING + "OpenTelemetryTracingAutoConfiguration", TRACING + "otlp.OtlpTracingAutoConfiguration",
            TRACING + "prometheus.PrometheusExemplarsAutoConfiguration");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        boolean on = on(environment);
        // Lowest precedence: either setting given anywhere wins.
        environment.getPropertySources().addLast(new MapPropertySource("bridgeTracingDefaults", Map.of(
                ENABLED, String.valueOf(on),
                "camel.opentelemetry2.enabled", String.valueOf(on))));
        if (!on) {
            List<String> excluded = new ArrayList<>(Binder.get(environment).bind(EXCLUDE, Bindable.listOf(String.class)).orElse(List.of()));
            excluded.addAll(OFF);
            environment.getPropertySources().addFirst(new MapPropertySource("bridgeTracingOff",
                    Map.of(EXCLUDE, String.join(",", excluded))));
        }
    }

    static boolean on(ConfigurableEnvironment environment) {
        return StringUtils.hasText(environment.getProperty(ENDPOINT)) && !"false".equalsIgnoreCase(environment.getProperty(ENABLED));
    }
}
