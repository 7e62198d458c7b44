package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The files in routes/ against the Camel YAML DSL schema that camel-yaml-dsl ships, so a misspelled key
 * fails the build naming the file and the path inside it; and their layout: one route per file, named
 * after its id; one route template with the routes made of it, named after the template; or route
 * configurations only.
 */
class RouteFilesTest {

    private static final Path ROUTES = Path.of("routes");
    private static final String SCHEMA = "schema/camelYamlDsl.json";
    private static final Set<String> CONTRACT_ROUTE_IDS =
            Set.of("fulfilment-webhook", "free-months", "discounts", "credits", "cash-payout", "payout-results");
    private static final String ROUTE_CONFIGURATIONS_FILE = "error-handling.camel.yaml";

    private static final ObjectMapper YAML =
            YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static JsonSchema schema;

    @BeforeAll
    static void loadSchema() throws IOException {
        try (InputStream in = RouteFilesTest.class.getClassLoader().getResourceAsStream(SCHEMA)) {
            assertThat(in).as("%s on the test classpath (camel-yaml-dsl)", SCHEMA).isNotNull();
            // Draft 4, as the schema declares, plus the annotation it uses beyond draft 4.
            JsonMetaSchema draft4 = JsonMetaSchema.builder(JsonMetaSchema.getV4())
                    .keyword(new NonValidationKeyword("deprecated")).build();
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4, factory -> factory.metaSchema(draft4))
                    .getSchema(in);
        }
    }

    static Stream<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(ROUTES)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void matchesTheCamelYamlDslSchema(Path file) throws IOException {
        List<String> problems = schemaProblems(file.toString(), Files.readString(file));
        assertThat(problems).as("the Camel YAML DSL schema rejects %s:%n%s", file, String.join("\n", problems))
                .isEmpty();
    }

    @Test
    void aMisspelledKeyIsNamedWithItsFileAndPath() {
        String yaml = """
                - route:
                    id: typo
                    from:
                      uri: direct:typo
                      steps:
                        - log: hello
                        - setHedaer:
                            name: Content-Type
                            constant: application/json
                """;
        assertThat(schemaProblems("routes/typo.camel.yaml", yaml)).singleElement().asString()
                .startsWith("routes/typo.camel.yaml: $[0].route.from.steps[1]: property 'setHedaer' is not defined");
        assertThat(schemaProblems("routes/typo.camel.yaml", yaml.replace("steps:", "stepz:"))).singleElement()
                .asString().startsWith("routes/typo.camel.yaml: $[0].route.from: property 'stepz' is not defined");
        assertThat(schemaProblems("routes/typo.camel.yaml", yaml.replace("log: hello", "log: {mesage: hello}")))
                .hasSize(2).first().asString()
                .startsWith("routes/typo.camel.yaml: $[0].route.from.steps[0].log: property 'mesage' is not defined");
    }

    @Test
    void oneRoutePerFileNamedAfterItsIdAndTheContractsRoutesPresent() throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> routeIds = new TreeSet<>();
        for (Path file : routeFiles().toList()) {
            String name = file.getFileName().toString();
            JsonNode items = read(file.toString(), Files.readString(file));
            List<String> kinds = new ArrayList<>();
            items.forEach(item -> kinds.add(item.fieldNames().hasNext() ? item.fieldNames().next() : "(empty)"));
            if (kinds.contains("route")) {
                String id = items.get(0).path("route").path("id").asText();
                if (kinds.size() != 1) {
                    problems.add(file + ": holds " + kinds + "; a route file holds one route");
                } else if (!name.equals(id + ".camel.yaml")) {
                    problems.add(file + ": route id '" + id + "' but the file is not named " + id + ".camel.yaml");
                }
                routeIds.add(id);
            } else if (kinds.contains("routeTemplate")) {
                String id = items.get(0).path("routeTemplate").path("id").asText();
                if (!kinds.get(0).equals("routeTemplate") || kinds.subList(1, kinds.size()).stream().anyMatch(k -> !k.equals("templatedRoute"))
                        || kinds.size() < 2) {
                    problems.add(file + ": holds " + kinds + "; a template's file holds the template and the routes made of it");
                } else if (!name.equals(id + ".camel.yaml")) {
                    problems.add(file + ": route template id '" + id + "' but the file is not named " + id + ".camel.yaml");
                }
                for (JsonNode item : items) {
                    JsonNode templated = item.path("templatedRoute");
                    if (!templated.isMissingNode() && !templated.path("routeTemplateRef").asText().equals(id)) {
                        problems.add(file + ": a templated route of another template, " + templated.path("routeTemplateRef").asText());
                    }
                    if (!templated.isMissingNode()) {
                        routeIds.add(templated.path("routeId").asText());
                    }
                }
            } else if (kinds.isEmpty() || !kinds.stream().allMatch("routeConfiguration"::equals)) {
                problems.add(file + ": holds " + kinds + "; expected one route, one route template and its routes, or route configurations only");
            }
            if (name.equals(ROUTE_CONFIGURATIONS_FILE) && kinds.contains("route")) {
                problems.add(file + ": holds " + kinds + "; expected route configurations only");
            }
        }
        assertThat(problems).as(String.join("\n", problems)).isEmpty();
        assertThat(ROUTES.resolve(ROUTE_CONFIGURATIONS_FILE)).exists();
        assertThat(routeIds).containsAll(CONTRACT_ROUTE_IDS);
    }

    /**
     * "file: $[0].route.from.steps[2]: property 'setPropertyy' is not defined in the schema ..." for each
     * schema error; none if the YAML matches. An unknown key usually causes the other errors around it (a
     * oneOf no branch of which matches, a required key missing), so when there are unknown keys only they
     * are reported.
     */
    private static List<String> schemaProblems(String file, String yaml) {
        Set<ValidationMessage> errors = schema.validate(read(file, yaml));
        List<ValidationMessage> unknownKeys =
                errors.stream().filter(e -> "additionalProperties".equals(e.getType())).toList();
        return (unknownKeys.isEmpty() ? errors : unknownKeys).stream().map(ValidationMessage::getMessage)
                .sorted().map(message -> file + ": " + message).toList();
    }

    /** Two values for one key are ambiguous, so a duplicate key is an error here too. */
    private static JsonNode read(String file, String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String message = e.getOriginalMessage();
            throw new AssertionError(file + ": not readable YAML: " + message
                    + (at == null || message.contains(" line ") ? "" : " (line " + at.getLineNr() + ")"), e);
        }
    }
}
