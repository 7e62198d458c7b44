package io.fulfilmentbridge.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

/** The switch: traces on with an OTLP endpoint, unless management.tracing.enabled=false; off, the tracing auto-configuration is left out beside what was excluded already. */
class TracingDefaultsTest {

    @Test
    void offWithoutAnEndpoint() {
        MockEnvironment environment = new MockEnvironment().withProperty(TracingDefaults.EXCLUDE, "io.hawt.springboot.HawtioManagementConfiguration");
        new TracingDefaults().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("management.tracing.enabled")).isEqualTo("false");
        assertThat(environment.getProperty("camel.opentelemetry2.enabled")).isEqualTo("false");
        assertThat(environment.getProperty(TracingDefaults.EXCLUDE).split(","))
                .contains("io.hawt.springboot.HawtioManagementConfiguration")
                .contains(TracingDefaults.OFF.toArray(String[]::new));
    }

    @Test
    void onWithAnEndpoint() {
        MockEnvironment environment = new MockEnvironment().withProperty(TracingDefaults.ENDPOINT, "http://collector:4318/v1/traces")
                .withProperty(TracingDefaults.EXCLUDE, "io.hawt.springboot.HawtioManagementConfiguration");
        new TracingDefaults().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("management.tracing.enabled")).isEqualTo("true");
        assertThat(environment.getProperty("camel.opentelemetry2.enabled")).isEqualTo("true");
        assertThat(environment.getProperty(TracingDefaults.EXCLUDE)).isEqualTo("io.hawt.springboot.HawtioManagementConfiguration");
    }

    @Test
    void offWhenSwitchedOffWithAnEndpoint() {
        MockEnvironment environment = new MockEnvironment().withProperty(TracingDefaults.ENDPOINT, "http://collector:4318/v1/traces")
                .withProperty("management.tracing.enabled", "false");
        new TracingDefaults().postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("camel.opentelemetry2.enabled")).isEqualTo("false");
        assertThat(environment.getProperty(TracingDefaults.EXCLUDE).split(",")).contains(TracingDefaults.OFF.toArray(String[]::new));
    }
}
