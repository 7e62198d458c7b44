package io.fulfilmentbridge.production;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 7, after the whole suite: no bridge log line and no answer a bridge gave (deliveries, the
 * console, health and metrics) holds a promoter auth_token or temp_password, the webhook secret, the
 * Stripe key, the operator's password, the broker's password, the FirstPromoter v1 key, or the
 * Chargebee, Recurly and Paddle keys (BillingSystemsIT's bridges).
 */
@Order(99)
class LogScanIT extends ProductionSupport {

    @Test
    void noBridgeLogHoldsASecret() throws Exception {
        // What the management port shows anyone (health, info, metrics), taken before the bridges stop.
        for (BridgeProcess bridge : Bridges.running()) {
            for (String path : List.of("/actuator/health", "/actuator/info", "/actuator/prometheus")) {
                send(bridge, HttpRequest.newBuilder(bridge.management(path)).GET());
            }
        }
        Bridges.stopAll();
        Set<String> secrets = new LinkedHashSet<>(PROMOTER_SECRETS);
        for (String sample : List.of("credits.json", "cash.json", "free-months.json")) {
            var promoter = JSON.readTree(sample(sample)).at("/data/promoter");
            for (String field : List.of("auth_token", "temp_password")) {
                if (promoter.hasNonNull(field) && !promoter.get(field).asText().isEmpty()) {
                    secrets.add(promoter.get(field).asText());
                }
            }
        }
        secrets.add(SECRET);
        secrets.add(STRIPE_KEY);
        secrets.add(OPERATOR_PASSWORD);
        secrets.add(ProductionEnv.brokerPassword());
        secrets.add(FIRSTPROMOTER_V1_KEY);
        secrets.add(CHARGEBEE_KEY);
        secrets.add(RECURLY_KEY);
        secrets.add(PADDLE_KEY);
        // Chargebee and Recurly take the key as a Basic user name: a logged header would show it encoded.
        for (String basicUser : List.of(CHARGEBEE_KEY, RECURLY_KEY)) {
            secrets.add(java.util.Base64.getEncoder().encodeToString((basicUser + ":").getBytes(StandardCharsets.UTF_8)));
        }
        SecretScan scan = new SecretScan(secrets);
        List<Path> files;
        try (Stream<Path> logs = Files.list(ProductionEnv.logDir())) {
            files = logs.filter(Files::isRegularFile).sorted().toList();
        }
        assertThat(files).as("bridge log files").isNotEmpty();
        long lines = 0;
        long bytes = 0;
        List<String> leaks = new ArrayList<>();
        for (Path file : files) {
            List<String> content = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            lines += content.size();
            bytes += Files.size(file);
            for (String line : content) {
                for (String secret : scan.foundIn(line)) {
                    leaks.add(file.getFileName() + ": " + secret.substring(0, 4) + "...: " + line.substring(0, Math.min(200, line.length())));
                }
                // Every promoter secret of this suite has one of these forms, so a partial one would show too.
                if (line.matches(".*\\b(at[0-9a-f]{28}|tp[0-9a-f]{16})\\b.*")) {
                    leaks.add(file.getFileName() + ": promoter secret pattern: " + line.substring(0, Math.min(200, line.length())));
                }
            }
        }
        // Every answer (headers and body) the suite got from a bridge: deliveries, the console, metrics.
        long answers = 0;
        for (String answer : ANSWERS_SEEN) {
            answers++;
            for (String secret : scan.foundIn(answer)) {
                leaks.add("answer: " + secret.substring(0, 4) + "...: " + answer.substring(0, Math.min(200, answer.length())));
            }
        }
        summary(String.format("scenario 7 (log scan): files %d, lines %d, bytes %d, answers %d, secrets looked for %d "
                        + "(promoter auth_token/temp_password, webhook secret, Stripe key, operator password, broker password, "
                        + "FirstPromoter v1 key, the Chargebee, Recurly and Paddle keys), leaks %d",
                files.size(), lines, bytes, answers, secrets.size(), leaks.size()));
        assertThat(leaks).isEmpty();
    }

    /**
     * Which secrets a text contains. The suite's thousands of promoter secrets all have one form (at +
     * 28 hex digits, tp + 16), so each is looked up at every "at" and "tp" of the text instead of
     * searched for one by one; the few others are searched for.
     */
    private static final class SecretScan {

        private static final java.util.regex.Pattern PROMOTER_FORM = java.util.regex.Pattern.compile("at[0-9a-f]{28}|tp[0-9a-f]{16}");

        private final Set<String> promoterForm = new java.util.HashSet<>();
        private final List<String> others = new ArrayList<>();

        SecretScan(Set<String> secrets) {
            for (String secret : secrets) {
                (PROMOTER_FORM.matcher(secret).matches() ? promoterForm : others).add(secret);
            }
        }

        List<String> foundIn(String text) {
            List<String> found = new ArrayList<>();
            for (String secret : others) {
                if (text.contains(secret)) {
                    found.add(secret);
                }
            }
            for (String prefix : List.of("at", "tp")) {
                int length = prefix.equals("at") ? 30 : 18;
                for (int at = text.indexOf(prefix); at >= 0 && at + length <= text.length(); at = text.indexOf(prefix, at + 1)) {
                    String candidate = text.substring(at, at + length);
                    if (promoterForm.contains(candidate) && !found.contains(candidate)) {
                        found.add(candidate);
                    }
                }
            }
            return found;
        }
    }
}
