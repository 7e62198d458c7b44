package io.fulfilmentbridge.settings;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The example manifests in deploy/ (docs/operations.md, Running on Kubernetes) name the application's own
 * probes, ports and settings: no cluster is needed to find a typo that would keep every pod unready.
 */
class DeployManifestsTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    /** Set for the JVM itself, not a Spring setting. */
    private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS");

    private static List<JsonNode> documents;
    private static Set<String> knownKeys;

    @BeforeAll
    static void read() throws IOException {
        documents = new ArrayList<>();
        for (String file : List.of("bridge.yaml", "postgres.yaml", "artemis.yaml", "secret.example.yaml")) {
            try (var parser = new YAMLFactory().createParser(Path.of("deploy", file).toFile())) {
                YAML.readValues(parser, JsonNode.class).forEachRemaining(documents::add);
            }
        }
        knownKeys = new TreeSet<>();
        Enumeration<URL> metadata = DeployManifestsTest.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
        while (metadata.hasMoreElements()) {
            try (InputStream in = metadata.nextElement().openStream()) {
                new ObjectMapper().readTree(in).path("properties").forEach(p -> knownKeys.add(p.path("name").asText()));
            }
        }
        // The build's own metadata (target/classes), which the class path lists too; read again in case it is not first.
        new ObjectMapper().readTree(SettingsMetadataTest.METADATA.toFile()).path("properties")
                .forEach(p -> knownKeys.add(p.path("name").asText()));
    }

    @Test
    void kustomizationListsEveryManifest() throws IOException {
        JsonNode kustomization = YAML.readTree(Path.of("deploy/kustomization.yaml").toFile());
        List<String> listed = new ArrayList<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        try (var files = Files.list(Path.of("deploy"))) {
            assertThat(listed).containsExactlyInAnyOrderElementsOf(files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml")).toList());
        }
    }

    @Test
    void twoOrMoreBridgesProbeTheApplicationsOwnGroupsOnTheManagementPort() {
        JsonNode deployment = kind("Deployment", "fulfilment-bridge");
        assertThat(deployment.path("spec").path("replicas").asInt()).isGreaterThanOrEqualTo(2);
        JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").get(0);
        Map<String, String> env = env(container);
        assertThat(port(container, "webhook")).isEqualTo(Integer.parseInt(env.get("SERVER_PORT")));
        assertThat(port(container, "management")).isEqualTo(Integer.parseInt(env.get("MANAGEMENT_SERVER_PORT")));

        StandardEnvironment application = SettingsSources.environment(Map.of());
        assertThat(application.getProperty("management.endpoint.health.probes.enabled")).isEqualTo("true");
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            JsonNode get = container.path(probe).path("httpGet");
            assertThat(get.path("port").asText()).as(probe).isEqualTo("management");
            String group = get.path("path").asText().replace("/actuator/health/", "");
            assertThat(application.getProperty("management.endpoint.health.group." + group + ".include"))
                    .as("%s: a health group application.yaml defines", probe).isNotBlank();
        }
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/actuator/health/liveness");
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/actuator/health/readiness");

        // A pod is stopped only after its graceful shutdown had its time.
        Duration shutdownPhase = Duration.parse("PT" + application.getProperty("spring.lifecycle.timeout-per-shutdown-phase").toUpperCase());
        assertThat(application.getProperty("server.shutdown")).isEqualTo("graceful");
        assertThat(Duration.ofSeconds(deployment.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asLong()))
                .isGreaterThan(shutdownPhase);
    }

    @Test
    void onlyTheWebhookPortIsAService() {
        JsonNode ports = kind("Service", "fulfilment-bridge").path("spec").path("ports");
        assertThat(ports).hasSize(1);
        assertThat(ports.get(0).path("targetPort").asText()).isEqualTo("webhook");
    }

    /**
     * MANAGEMENT_SERVER_ADDRESS=0.0.0.0 puts health, metrics and the console's login on the pod's address,
     * which every pod in the cluster reaches: only the monitoring namespace may (docs/promises.md, Security:
     * a monitoring network only). The kubelet's probes come from the node, which a NetworkPolicy never blocks.
     */
    @Test
    void onlyTheMonitoringNamespaceReachesTheManagementPort() {
        JsonNode policy = kind("NetworkPolicy", "fulfilment-bridge").path("spec");
        assertThat(policy.path("podSelector").path("matchLabels").path("app").asText()).isEqualTo("fulfilment-bridge");
        assertThat(policy.path("policyTypes").toString()).contains("Ingress");
        List<JsonNode> management = new ArrayList<>();
        List<JsonNode> webhook = new ArrayList<>();
        policy.path("ingress").forEach(rule -> rule.path("ports").forEach(port -> {
            String named = port.path("port").asText();
            if (named.equals("management") || named.equals("8081")) {
                management.add(rule);
            } else if (named.equals("webhook") || named.equals("8080")) {
                webhook.add(rule);
            }
        }));
        assertThat(webhook).as("the webhook port stays open to the ingress").isNotEmpty();
        assertThat(management).as("a rule for the management port (Prometheus)").isNotEmpty().allSatisfy(rule -> {
            assertThat(rule.path("from").size()).as("management reachable from anywhere").isPositive();
            rule.path("from").forEach(from -> assertThat(from.path("namespaceSelector").path("matchLabels").isEmpty())
                    .as("a peer naming its namespace: " + from).isFalse());
        });
    }

    @Test
    void everyEnvironmentNameIsASettingOfTheApplication() {
        JsonNode container = kind("Deployment", "fulfilment-bridge").path("spec").path("template").path("spec").path("containers").get(0);
        Set<String> names = new TreeSet<>(env(container).keySet());
        kind("Secret", "fulfilment-bridge").path("stringData").fieldNames().forEachRemaining(names::add);
        List<String> unknown = names.stream().filter(name -> !JVM_VARIABLES.contains(name) && !isSetting(name)).toList();
        assertThat(unknown).as("environment names no setting reads (a typo?)").isEmpty();
        assertThat(names).contains("BRIDGE_WEBHOOK_SECRET", "SPRING_DATASOURCE_URL", "SPRING_ARTEMIS_BROKER_URL", "MANAGEMENT_SERVER_ADDRESS");
    }

    @Test
    void theBridgeReachesTheDatabaseAndTheBrokerAtTheirServices() {
        Map<String, String> env = env(kind("Deployment", "fulfilment-bridge").path("spec").path("template").path("spec").path("containers").get(0));
        URI database = URI.create(env.get("SPRING_DATASOURCE_URL").substring("jdbc:".length()));
        assertThat(database.getHost()).isEqualTo("postgres");
        assertThat(database.getPort()).isEqualTo(kind("Service", "postgres").path("spec").path("ports").get(0).path("port").asInt());
        URI broker = URI.create(env.get("SPRING_ARTEMIS_BROKER_URL"));
        assertThat(broker.getHost()).isEqualTo("artemis");
        assertThat(broker.getPort()).isEqualTo(kind("Service", "artemis").path("spec").path("ports").get(0).path("port").asInt());
        assertThat(env.get("SPRING_ARTEMIS_MODE")).isEqualTo("native");
    }

    /** True when Spring Boot binds this environment variable to a key some configuration metadata declares. */
    private static boolean isSetting(String variable) {
        ConfigurationPropertySource source = ConfigurationPropertySource.from(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(variable, "set")));
        return knownKeys.stream().filter(ConfigurationPropertyName::isValid)
                .anyMatch(key -> source.getConfigurationProperty(ConfigurationPropertyName.of(key)) != null);
    }

    private static JsonNode kind(String kind, String name) {
        return documents.stream()
                .filter(d -> kind.equals(d.path("kind").asText()) && name.equals(d.path("metadata").path("name").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/"));
    }

    private static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText(null)));
        return env;
    }

    private static int port(JsonNode container, String name) {
        for (JsonNode port : (ArrayNode) container.path("ports")) {
            if (name.equals(port.path("name").asText())) {
                return port.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no port " + name);
    }
}
