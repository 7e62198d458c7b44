package io.fulfilmentbridge.tracing;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The spans bean: real when Micrometer Tracing is on (management.tracing.enabled, see TracingDefaults), else off. */
@Configuration(proxyBeanMethods = false)
class TracingConfiguration {

    @Bean
    Spans spans(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
        Tracer on = tracer.getIfAvailable();
        // Tracing off, Spring Boot still offers a Tracer: its no-op one.
        if (on == null || on == Tracer.NOOP || propagator.getIfAvailable() == null) {
            return Spans.off();
        }
        return new Spans(on, propagator.getObject());
    }
}
