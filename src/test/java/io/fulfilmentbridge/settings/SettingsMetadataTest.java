package io.fulfilmentbridge.settings;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * docs/settings.md lists every bridge.* setting as the configuration processor describes the records
 * (target/classes/META-INF/spring-configuration-metadata.json), and application.yaml sets no key that
 * does not exist, nor writes a default differently from its record.
 */
class SettingsMetadataTest {

    static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
    static final Path DOC = Path.of("docs/settings.md");
    static final String BEGIN = "<!-- settings table: generated from the settings records' metadata, checked by SettingsMetadataTest -->";
    static final String END = "<!-- end of settings table -->";
    private static final Pattern CONTRACT_NAME = Pattern.compile("^\\$\\{(BRIDGE_[A-Z0-9_]+):.*}$");

    /** Each bridge.* key: its type, description and default (null: none). */
    record Setting(String key, String description, String defaultValue) {
    }

    static Map<String, Setting> metadata() throws IOException {
        JsonNode properties = new ObjectMapper().readTree(METADATA.toFile()).path("properties");
        Map<String, Setting> settings = new TreeMap<>();
        for (JsonNode property : properties) {
            String key = property.path("name").asText();
            if (key.startsWith("bridge.")) {
                JsonNode value = property.get("defaultValue");
                settings.put(key, new Setting(key, property.path("description").asText(""),
                        value == null || value.isNull() ? null : value.asText()));
            }
        }
        return settings;
    }

    /** application.yaml's bridge.* keys, as written (placeholders unresolved). */
    static Map<String, String> applicationYamlKeys() {
        Map<String, String> keys = new TreeMap<>();
        for (PropertySource<?> source : SettingsSources.applicationYaml()) {
            for (String key : ((EnumerablePropertySource<?>) source).getPropertyNames()) {
                if (key.startsWith("bridge.")) {
                    keys.put(key, String.valueOf(source.getProperty(key)));
                }
            }
        }
        return keys;
    }

    /** How the environment sets a key: the contract's name where application.yaml has one, else Spring Boot's relaxed form. */
    static String environmentForm(String key, Map<String, String> yaml) {
        Matcher contract = CONTRACT_NAME.matcher(yaml.getOrDefault(key, ""));
        return contract.matches() ? contract.group(1) : key.toUpperCase().replace('.', '_').replace("-", "");
    }

    static String table() throws IOException {
        Map<String, String> yaml = applicationYamlKeys();
        StringBuilder table = new StringBuilder()
                .append("| Key | Environment | Default | What it does |\n")
                .append("| --- | --- | --- | --- |\n");
        for (Setting setting : metadata().values()) {
            table.append("| `").append(setting.key()).append("` | `").append(environmentForm(setting.key(), yaml))
                    .append("` | ").append(setting.defaultValue() == null ? "(none)" : "`" + setting.defaultValue() + "`")
                    .append(" | ").append(setting.description().replaceAll("\\s+", " ").replace("|", "\\|").trim())
                    .append(" |\n");
        }
        return table.toString();
    }

    @Test
    void theMetadataListsEverySettingWithItsDescription() throws IOException {
        assertThat(METADATA).as("built by spring-boot-configuration-processor: run mvn compile").exists();
        Map<String, Setting> metadata = metadata();
        assertThat(metadata).containsKeys("bridge.answer-within", "bridge.limits.free-months", "bridge.group-commit.batch-size",
                "bridge.webhook.secret", "bridge.stripe.api-key", "bridge.cash.queued-status", "bridge.broker.password-file",
                "bridge.firstpromoter.retry-backoff", "bridge.operator.password", "bridge.routes");
        assertThat(metadata.values()).allSatisfy(setting -> assertThat(setting.description()).as(setting.key()).isNotBlank());
        assertThat(metadata.get("bridge.answer-within").defaultValue()).isEqualTo("9s");
        assertThat(metadata.get("bridge.cash.queued-status").defaultValue()).isEqualTo("202");
    }

    @Test
    void docsSettingsTableIsTheMetadatas() throws IOException {
        String expected = table();
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        String actual = begin < 0 || end < begin ? "(no table between the markers)" : doc.substring(begin + BEGIN.length(), end).strip() + "\n";
        assertThat(actual)
                .as("docs/settings.md's table differs from the settings records' metadata. Paste this between\n%s\nand\n%s\n"
                        + "in docs/settings.md:\n\n%s", BEGIN, END, expected)
                .isEqualTo(expected);
    }

    @Test
    void applicationYamlSetsOnlyKnownKeys() throws IOException {
        TreeSet<String> unknown = new TreeSet<>(applicationYamlKeys().keySet());
        unknown.removeAll(metadata().keySet());
        assertThat(unknown).as("bridge.* keys application.yaml sets that no settings record has (a typo?)").isEmpty();
    }

    @Test
    void applicationYamlWritesNoDefaultDifferently() throws IOException {
        // As resolved without any environment: a placeholder gives its own default.
        StandardEnvironment withoutEnvironment = SettingsSources.environment(Map.of());
        Map<String, Setting> metadata = metadata();
        for (String key : applicationYamlKeys().keySet()) {
            Setting setting = metadata.get(key);
            if (setting == null) {
                continue; // applicationYamlSetsOnlyKnownKeys names it
            }
            String value = withoutEnvironment.getProperty(key);
            if (setting.defaultValue() == null) {
                assertThat(value).as("%s has no default in its record: application.yaml leaves it empty", key).isEmpty();
            } else {
                assertThat(value).as("%s: application.yaml's value is its record's default", key).isEqualTo(setting.defaultValue());
            }
        }
        // And every record bound from application.yaml alone is the record of its defaults.
        for (Class<? extends Record> settings : SettingsConfiguration.RECORDS) {
            assertThat(SettingsSources.bind(withoutEnvironment, settings)).as(settings.getSimpleName())
                    .isEqualTo(SettingsSources.bind(new StandardEnvironment() {
                        {
                            getPropertySources().remove(SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
                            getPropertySources().remove(SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
                        }
                    }, settings));
        }
    }
}
