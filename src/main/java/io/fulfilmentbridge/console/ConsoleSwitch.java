package io.fulfilmentbridge.console;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The operators' console (Hawtio and its Jolokia endpoint on the management port) can invoke the
 * replay operations, so it only exists with an operator password: without one, both endpoints are
 * left unexposed (404) rather than run open.
 */
public class ConsoleSwitch implements EnvironmentPostProcessor, Ordered {

    static final String PASSWORD = "bridge.operator.password";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!enabled(environment.getProperty(PASSWORD))) {
            environment.getPropertySources().addFirst(new MapPropertySource("bridgeConsoleOff", Map.of(
                    "management.endpoints.web.exposure.exclude", "hawtio,jolokia")));
        }
    }

    static boolean enabled(String password) {
        return password != null && !password.isBlank();
    }

    @Override
    public int getOrder() {
        // After the config files and the environment are read.
        return Ordered.LOWEST_PRECEDENCE;
    }
}
