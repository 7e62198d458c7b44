package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules (ops/prometheus) as Prometheus reads them: `promtool check rules`, and their unit
 * tests, one per alert, with `promtool test rules`. promtool is Debian's prometheus package, which
 * .ci/run installs and requires (BRIDGE_REQUIRE_PROMTOOL=1); on a machine without it these are skipped.
 */
class OpsRulesTest {

    private static final Path RULES = Path.of("ops/prometheus/fulfilment-bridge.rules.yaml");
    private static final Path RULE_TESTS = Path.of("ops/prometheus/fulfilment-bridge.rules.test.yaml");

    @Test
    void theRulesAreValid() throws Exception {
        String out = promtool("check", "rules", RULES.toString());
        assertThat(out).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestAndTheyPass() throws Exception {
        List<String> alerts = new ArrayList<>();
        for (String line : Files.readAllLines(RULES)) {
            if (line.trim().startsWith("- alert:")) {
                alerts.add(line.trim().substring("- alert:".length()).trim());
            }
        }
        String tests = Files.readString(RULE_TESTS);
        assertThat(alerts).isNotEmpty().allSatisfy(alert -> assertThat(tests).as("a unit test of %s", alert)
                .contains("alertname: " + alert + ",").contains("alertname: " + alert + "\n"));
        assertThat(promtool("test", "rules", RULE_TESTS.toString())).contains("SUCCESS");
    }

    private static String promtool(String... arguments) throws IOException, InterruptedException {
        Path promtool = Path.of("/usr/bin/promtool");
        assumeTrue(Files.isExecutable(promtool) || System.getenv("BRIDGE_REQUIRE_PROMTOOL") != null,
                "promtool is not installed (Debian's prometheus package); .ci/run installs it");
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }
}
