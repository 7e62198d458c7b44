package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** Route files in the jar are named one by one for Camel (no scan of the packaged jar); others are left alone. */
class RouteFilesNamingTest {

    private static String includePattern(String routes) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", Map.of(
                "bridge.routes", routes,
                "camel.main.routes-include-pattern", "${bridge.routes}/*.camel.yaml")));
        new RouteFiles().postProcessEnvironment(environment, new SpringApplication());
        return environment.getProperty("camel.main.routes-include-pattern");
    }

    @Test
    void everyRouteFileOnTheClassPathIsNamed() {
        String[] files = new File("routes").list((dir, name) -> name.endsWith(".camel.yaml"));
        assertThat(files).isNotEmpty();
        assertThat(includePattern("classpath:routes").split(","))
                .containsExactlyInAnyOrder(Arrays.stream(files).map(name -> "classpath:routes/" + name).toArray(String[]::new));
    }

    @Test
    void routesFromTheFileSystemAreLeftToCamel() {
        assertThat(includePattern("file:routes")).isEqualTo("file:routes/*.camel.yaml");
    }
}
