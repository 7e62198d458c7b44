package io.fulfilmentbridge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Names the route files in the jar one by one. Given a wildcard on the classpath, Camel's fat-jar
 * scanner reads the whole packaged jar (90 MB) to find them, five seconds of every start; Spring's
 * resolver reads the jar's directory instead. Routes from the file system are left to Camel.
 */
public class RouteFiles implements EnvironmentPostProcessor, Ordered {

    static final String ROUTES = "bridge.routes";
    static final String INCLUDE = "camel.main.routes-include-pattern";
    static final String FILES = "/*.camel.yaml";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String routes = environment.getProperty(ROUTES);
        if (routes == null || !routes.startsWith("classpath:") || routes.contains("*")
                || !(routes + FILES).equals(environment.getProperty(INCLUDE))) {
            return;
        }
        String directory = routes.substring("classpath:".length()).replaceAll("^/+|/+$", "");
        Resource[] files;
        try {
            files = new PathMatchingResourcePatternResolver(application.getClassLoader()).getResources(routes + FILES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the route files in " + routes, e);
        }
        if (files.length == 0) {
            return;
        }
        String named = Arrays.stream(files).map(Resource::getFilename).distinct().sorted()
                .map(name -> "classpath:" + directory + "/" + name).collect(Collectors.joining(","));
        environment.getPropertySources().addFirst(new MapPropertySource("bridgeRouteFiles", Map.of(INCLUDE, named)));
    }

    @Override
    public int getOrder() {
        // After the config files and the environment are read.
        return Ordered.LOWEST_PRECEDENCE;
    }
}
