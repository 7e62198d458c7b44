package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.logging.LoggingInitializationContext;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.FileSystemResource;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

/**
 * JSON log lines (docs/operations.md, Structured logs): Spring Boot's ECS format, each line of a
 * delivery naming its fulfilment, and the secrets scan of SecretsStayOutTest run again on the JSON form.
 */
@TestPropertySource(properties = "logging.structured.format.console=ecs")
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class StructuredLogsTest extends SecretsStayOutTest {

    /** Printed by spring-jcl itself, not through any logger. */
    private static final String COMMONS_LOGGING_NOTICE = "Standard Commons Logging discovery in action";

    @Autowired
    private ConfigurableEnvironment environment;

    /**
     * Logging as Spring Boot sets it up from this bridge's environment. Set up again here: when the test
     * context cache closed the context an earlier class left, that close reset the JVM's one Logback.
     */
    @BeforeEach
    void logAsThisBridgeDoes() {
        LoggingSystem logging = LoggingSystem.get(StructuredLogsTest.class.getClassLoader());
        logging.cleanUp();
        logging.beforeInitialize();
        logging.initialize(new LoggingInitializationContext(environment), null, null);
    }

    @Test
    void everyLineOfADeliveryIsJsonNamingItsFulfilment(CapturedOutput output) throws IOException {
        long id = nextId();
        HttpResponse<String> answer = post(delivery("credits.json", id, Map.of()));
        assertThat(answer.statusCode()).isEqualTo(200);
        HttpResponse<String> rejected = post(delivery("credits.json", nextId(), Map.of("amount", "a lot")));
        assertThat(rejected.statusCode()).isEqualTo(400);

        // Every line once Spring Boot set logging up is JSON; before it, the test framework's own lines.
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.getOut().split("\n")) {
            if (line.startsWith("{")) {
                lines.add(JSON.readTree(line));
            } else if (!lines.isEmpty() && !line.isBlank()) {
                assertThat(line).as("a line after logging started that is not JSON").startsWith(COMMONS_LOGGING_NOTICE);
            }
        }
        assertThat(lines).isNotEmpty().allSatisfy(line -> assertThat(line.path("@timestamp").isTextual()).isTrue());

        List<JsonNode> ofTheDelivery = lines.stream().filter(line -> fulfilment(line).path("id").asText().equals(Long.toString(id))).toList();
        assertThat(ofTheDelivery).isNotEmpty().allSatisfy(line -> {
            assertThat(fulfilment(line).path("source").asText()).isEqualTo("v1");
            assertThat(fulfilment(line).path("unit").asText()).isEqualTo("credits");
        });
        JsonNode deliveryLine = ofTheDelivery.stream()
                .filter(line -> line.path("log").path("logger").asText().equals("io.fulfilmentbridge.deliveries")).findFirst().orElseThrow();
        assertThat(fulfilment(deliveryLine).path("outcome").asText()).isEqualTo("granted");
        assertThat(fulfilment(deliveryLine).path("eventId").asText()).isNotBlank();
        assertThat(deliveryLine.path("message").asText()).contains("fulfilment " + id + " ").contains("status 200");
        assertThat(deliveryLine.path("camel").path("routeId").asText()).isEqualTo("fulfilment-answer");

        // Once the exchange is done its keys are cleared: nothing after it is labelled with it by mistake.
        JsonNode rejectedLine = lines.stream().filter(line -> line.path("log").path("logger").asText().equals("io.fulfilmentbridge.deliveries")
                && line.path("message").asText().contains("outcome rejected")).reduce((first, last) -> last).orElseThrow();
        assertThat(fulfilment(rejectedLine).path("id").asText()).isNotEqualTo(Long.toString(id));
        assertThat(fulfilment(rejectedLine).path("outcome").asText()).isEqualTo("rejected");
    }

    /** The fulfilment.* keys, whether the format nests dotted names or keeps them flat. */
    private static JsonNode fulfilment(JsonNode line) {
        if (line.has("fulfilment")) {
            return line.path("fulfilment");
        }
        com.fasterxml.jackson.databind.node.ObjectNode flat = JSON.createObjectNode();
        line.fieldNames().forEachRemaining(name -> {
            if (name.startsWith("fulfilment.")) {
                flat.set(name.substring("fulfilment.".length()), line.get(name));
            }
        });
        return flat;
    }

    /** Logback is one per JVM: the next test classes log as the application does by default, not as JSON. */
    @AfterAll
    static void plainLogsAgain() throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        new YamlPropertySourceLoader().load("application", new FileSystemResource("application.yaml"))
                .forEach(environment.getPropertySources()::addLast);
        LoggingSystem logging = LoggingSystem.get(StructuredLogsTest.class.getClassLoader());
        logging.cleanUp();
        logging.beforeInitialize();
        logging.initialize(new LoggingInitializationContext(environment), null, null);
    }
}
