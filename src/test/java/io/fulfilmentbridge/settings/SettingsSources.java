package io.fulfilmentbridge.settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.FileSystemResource;

/** The bridge's property sources as Spring Boot orders them: the environment given, then the real application.yaml. */
final class SettingsSources {

    private SettingsSources() {
    }

    /** Only this environment (no system properties, not the test JVM's own environment) over application.yaml. */
    static StandardEnvironment environment(Map<String, Object> variables) {
        StandardEnvironment environment = new StandardEnvironment();
        MutablePropertySources sources = environment.getPropertySources();
        sources.remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        sources.remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        sources.addLast(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                variables));
        applicationYaml().forEach(sources::addLast);
        // As SpringApplication does: getProperty, and so Camel's {{...}}, then sees the relaxed forms too.
        ConfigurationPropertySources.attach(environment);
        return environment;
    }

    static java.util.List<PropertySource<?>> applicationYaml() {
        try {
            return new YamlPropertySourceLoader().load("application", new FileSystemResource("application.yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record bound from these sources as the application binds it, defaults and checks included. */
    static <T> T bind(StandardEnvironment environment, Class<T> settings) {
        String prefix = settings.getAnnotation(org.springframework.boot.context.properties.ConfigurationProperties.class)
                .value();
        return Binder.get(environment).bindOrCreate(prefix, settings);
    }
}
