package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.TestPropertySource;

/**
 * The promoter's auth_token and temp_password, the webhook secrets, the Stripe key, the operator's
 * password and the broker's password reach no log, answer (deliveries, console, metrics) or table.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {"bridge.operator.username=operator", "bridge.operator.password=" + ConsoleTest.PASSWORD})
class SecretsStayOutTest extends BridgeTest {

    /** bridge-test.properties' bridge.broker.password: the embedded broker's login for a payout worker. */
    private static final String BROKER_PASSWORD = "payout-worker-password-for-tests";

    @LocalManagementPort
    private int managementPort;

    private static final List<String> PROMOTER_SECRETS = List.of(
            "da954kn43856nacueroytnjrwg46k5", "dsf23fd3",
            "k3j5h6g7f8d9s0a1q2w3e4r5t6y7u8i9", "x9y8z7w6",
            "p0o9i8u7y6t5r4e3w2q1a2s3d4f5g6h7");

    @Test
    void noSecretInLogsAnswersOrTables(CapturedOutput output) {
        String customer = "cus_Pq7Xb2LrT0aZ1c";
        STRIPE.stubGrantableCustomer(customer, "sub_secrets");

        List<HttpResponse<String>> answers = new ArrayList<>();
        for (String sample : List.of("free-months.json", "credits.json", "cash.json")) {
            answers.add(post(delivery(sample, nextId(), Map.of())));
        }
        answers.add(post(delivery("credits.json", nextId(), Map.of("amount", -5))));
        answers.add(post(delivery("credits.json", nextId(), Map.of("promoter.id", "da954kn43856nacueroytnjrwg46k5"))));
        answers.add(post("{\"event\": {\"type\": \"fulfilment_pending\"}, \"data\": {\"auth_token\": da954kn43856nacueroytnjrwg46k5}}"));
        answers.add(send(HttpRequest.newBuilder(webhook("token=" + SECRET)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("dsf23fd3"))));
        // Stripe refusing the key is logged and answered, the key is not.
        STRIPE.reset();
        STRIPE.stubError("GET", "/v1/customers/" + customer, 401, "Invalid API Key provided: " + STRIPE_KEY);
        answers.add(post(delivery("free-months.json", nextId(), Map.of())));
        assertThat(answers.get(answers.size() - 1).statusCode()).isEqualTo(503);

        // The management port: what anyone sees, the console with a wrong and with the right login.
        String login = "Basic " + Base64.getEncoder().encodeToString(("operator:" + ConsoleTest.PASSWORD).getBytes(StandardCharsets.UTF_8));
        String wrong = "Basic " + Base64.getEncoder().encodeToString(("operator:" + BROKER_PASSWORD).getBytes(StandardCharsets.UTF_8));
        for (String path : List.of("/actuator/health", "/actuator/info", "/actuator/prometheus")) {
            answers.add(send(HttpRequest.newBuilder(management(path)).GET()));
        }
        for (String authorization : List.of(wrong, login)) {
            for (String path : List.of("/actuator/hawtio/", "/actuator/jolokia/read/java.lang:type=Runtime",
                    "/actuator/jolokia/exec/org.apache.camel:type=context,*/dumpRoutesAsXml()")) {
                HttpResponse<String> answer = send(HttpRequest.newBuilder(management(path)).header("Authorization", authorization).GET());
                assertThat(answer.statusCode()).as(path).isEqualTo(authorization.equals(login) ? 200 : 401);
                answers.add(answer);
            }
        }

        List<String> secrets = new ArrayList<>(PROMOTER_SECRETS);
        secrets.addAll(List.of(SECRET, OTHER_SECRET, STRIPE_KEY, ConsoleTest.PASSWORD, BROKER_PASSWORD));
        for (HttpResponse<String> answer : answers) {
            assertThat(answer.body()).doesNotContain(secrets);
            assertThat(answer.headers().map().toString()).doesNotContain(secrets);
        }
        assertThat(output.getAll()).doesNotContain(secrets);
        for (String table : List.of("fulfilments", "ledger_entries", "payout_outbox", "billing_grants", "billing_customer_locks",
                "billing_sends")) {
            for (Map<String, Object> row : jdbc.queryForList("SELECT * FROM " + table)) {
                assertThat(row.toString()).as(table).doesNotContain(secrets);
            }
        }
    }

    private URI management(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }
}
