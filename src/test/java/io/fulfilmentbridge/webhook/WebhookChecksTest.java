package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.BridgeTest;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Contract section 1: the checks in their order, each refusal with its JSON body, and nothing changed. */
class WebhookChecksTest extends BridgeTest {

    private int fulfilmentsBefore;
    private int entriesBefore;

    @BeforeEach
    void countRecords() {
        fulfilmentsBefore = count("fulfilments");
        entriesBefore = count("ledger_entries");
    }

    private void assertNothingChanged() {
        assertThat(count("fulfilments")).isEqualTo(fulfilmentsBefore);
        assertThat(count("ledger_entries")).isEqualTo(entriesBefore);
    }

    private static void assertJsonAnswer(HttpResponse<String> response, int status, String outcome) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode body = json(response);
        assertThat(body.get("outcome").asText()).isEqualTo(outcome);
        assertThat(body.has("fulfilment_id")).isTrue();
        assertThat(body.get("detail").asText()).isNotBlank();
    }

    private HttpRequest.Builder request(String query, String contentType, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(webhook(query)).POST(BodyPublishers.ofString(body));
        return contentType == null ? builder : builder.header("Content-Type", contentType);
    }

    private String credits() {
        return delivery("credits.json", nextId(), Map.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void onlyPostIsAccepted(String method) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(webhook("token=" + SECRET))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .method(method, BodyPublishers.ofString(credits())));
        assertJsonAnswer(response, 405, "method_not_allowed");
        assertThat(json(response).get("fulfilment_id").isNull()).isTrue();
        assertNothingChanged();
    }

    @Test
    void methodIsCheckedBeforeTheSecret() {
        assertJsonAnswer(send(HttpRequest.newBuilder(webhook(null)).GET()), 405, "method_not_allowed");
    }

    @Test
    void missingOrWrongSecretIsUnauthorized() {
        assertJsonAnswer(send(request(null, "application/json", credits())), 401, "unauthorized");
        assertJsonAnswer(send(request("token=wrong", "application/json", credits())), 401, "unauthorized");
        assertJsonAnswer(send(request("token=" + SECRET.substring(1), "application/json", credits())), 401, "unauthorized");
        assertJsonAnswer(send(request(null, "application/json", credits()).header("Authorization", basic("fp", "wrong"))), 401, "unauthorized");
        assertNothingChanged();
    }

    @Test
    void eitherConfiguredSecretIsAcceptedAsTokenOrBasicPassword() {
        assertJsonAnswer(send(request("token=" + SECRET, "application/json", credits())), 200, "granted");
        assertJsonAnswer(send(request("token=" + OTHER_SECRET, "application/json", credits())), 200, "granted");
        assertJsonAnswer(send(request(null, "application/json", credits()).header("Authorization", basic("firstpromoter", SECRET))), 200, "granted");
        assertJsonAnswer(send(request(null, "application/json", credits()).header("Authorization", basic("any", OTHER_SECRET))), 200, "granted");
    }

    @Test
    void secretIsCheckedBeforeSizeAndContentType() {
        String big = "x".repeat(200_000);
        assertJsonAnswer(send(request("token=nope", "text/plain", big)), 401, "unauthorized");
        assertNothingChanged();
    }

    @Test
    void bodyOver64KibIsTooLargeEvenAtTenMegabytes() {
        String justOver = "{\"pad\":\"" + "x".repeat(65_536) + "\"}";
        assertJsonAnswer(send(request("token=" + SECRET, "application/json", justOver)), 413, "too_large");
        byte[] tenMegabytes = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(tenMegabytes, (byte) ' ');
        HttpResponse<String> response = send(HttpRequest.newBuilder(webhook("token=" + SECRET))
                .header("Content-Type", "application/json").POST(BodyPublishers.ofByteArray(tenMegabytes)));
        assertJsonAnswer(response, 413, "too_large");
        assertNothingChanged();
    }

    @Test
    void sizeIsCheckedBeforeContentType() {
        assertJsonAnswer(send(request("token=" + SECRET, "text/plain", "x".repeat(70_000))), 413, "too_large");
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/xml", "application/x-www-form-urlencoded", "text/json"})
    void declaredContentTypeMustBeJson(String contentType) {
        assertJsonAnswer(send(request("token=" + SECRET, contentType, credits())), 415, "unsupported_media_type");
        assertNothingChanged();
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.firstpromoter+json"})
    void jsonContentTypesAreAccepted(String contentType) {
        assertJsonAnswer(send(request("token=" + SECRET, contentType, credits())), 200, "granted");
    }

    @Test
    void noDeclaredContentTypeIsAccepted() {
        assertJsonAnswer(send(request("token=" + SECRET, null, credits())), 200, "granted");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[1,2]", "\"text\"", "{\"event\":", "{} {}", "{\"a\":1,\"a\":2}"})
    void bodyMustBeOneJsonObject(String body) {
        HttpResponse<String> response = send(request("token=" + SECRET, "application/json", body));
        assertJsonAnswer(response, 400, "rejected");
        assertThat(json(response).get("fulfilment_id").isNull()).isTrue();
        assertNothingChanged();
    }

    @Test
    void nestingDeeperThan32IsRejected() {
        String deep = "{\"event\":{\"type\":\"fulfilment_pending\"},\"data\":{\"id\":1,\"x\":" + "[".repeat(40) + "]".repeat(40) + "}}";
        assertJsonAnswer(send(request("token=" + SECRET, "application/json", deep)), 400, "rejected");
        assertNothingChanged();
    }

    @Test
    void stringsLongerThan4KibAreRejected() {
        String body = delivery("credits.json", nextId(), Map.of("promoter.email", "a".repeat(5000) + "@example.org"));
        assertJsonAnswer(send(request("token=" + SECRET, "application/json", body)), 400, "rejected");
        assertNothingChanged();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fulfilment_completed", "referral_created", ""})
    void otherEventTypesAreIgnored(String type) {
        long id = nextId();
        String body = delivery("credits.json", id, Map.of()).replace("\"fulfilment_pending\"", "\"" + type + "\"");
        HttpResponse<String> response = send(request("token=" + SECRET, "application/json", body));
        assertJsonAnswer(response, 202, "ignored");
        assertThat(json(response).get("fulfilment_id").asLong()).isEqualTo(id);
        assertNothingChanged();
    }

    @Test
    void eventTypeIsCheckedBeforeRequiredFields() {
        assertJsonAnswer(send(request("token=" + SECRET, "application/json", "{\"event\":{\"type\":\"other\"}}")), 202, "ignored");
        assertJsonAnswer(send(request("token=" + SECRET, "application/json", "{\"event\":{\"type\":\"fulfilment_pending\"}}")), 400, "rejected");
    }

    @Test
    void requiredFieldsAreRejectedWithTheReason() {
        assertRejected(Map.of("id", "0"), "data.id");
        assertRejected(Map.of("id", -4), "data.id");
        assertRejected(Map.of("id", 2.5), "data.id");
        assertRejected(Map.of("id", "12a"), "data.id");
        assertRejected(withNull("unit"), "data.unit");
        assertRejected(Map.of("unit", 7), "data.unit");
        assertRejected(withNull("amount"), "data.amount");
        assertRejected(Map.of("amount", "twenty"), "data.amount");
        assertRejected(Map.of("amount", true), "data.amount");
        assertRejected(withNull("promoter"), "data.promoter");
        assertRejected(withNull("promoter.id"), "data.promoter.id");
        assertRejected(Map.of("promoter.id", "abc"), "data.promoter.id");
        assertRejected(Map.of("promoter.cust_id", "c".repeat(256)), "data.promoter.cust_id");
        assertRejected(Map.of("promoter.email", "e".repeat(310) + "@example.org"), "data.promoter.email");
        assertNothingChanged();
    }

    @Test
    void inboundHeadersNamedLikeCamelsOwnChangeNothing() {
        long id = nextId();
        HttpResponse<String> response = send(request("token=" + SECRET, "application/json", delivery("credits.json", id, Map.of()))
                .header("CamelSqlQuery", "DELETE FROM ledger_entries")
                .header("camelhttpresponsecode", "500")
                .header("CAMELJMSDESTINATIONNAME", "payouts")
                .header("CamelHttpResponseCode", "204"));
        assertJsonAnswer(response, 200, "granted");
        assertThat(count("ledger_entries")).isEqualTo(entriesBefore + 2);
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    /** A credits delivery whose data.amount is this JSON text, as written (a number, or a quoted string). */
    private String creditsWithAmount(long id, String amountJson) {
        return delivery("credits.json", id, Map.of("amount", "AMOUNT")).replace("\"AMOUNT\"", amountJson);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-64000000", "1e64000000", "\"1e-64000000\"", "-1E+64000000", "\"1e-65\"", "1e-65", "1e65",
            "10e64", "0.1e-64", "\"1e-2147483649\"",
            "12345678901234567890123456789012345678901234567890123456789012345",
            "\"1234567890123456789012345678901234567890123456789012345678901234.5\"",
            "1.0000000000000000000000000000000000000000000000000000000000000000"})
    void amountsBeyond64SignificantDigitsOrExponent64AreRejectedBeforeAnyArithmetic(String amount) {
        long id = nextId();
        // Only a guard against a hang: the refusal reads precision and scale, which cost nothing.
        HttpResponse<String> response = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> send(request("token=" + SECRET, "application/json", creditsWithAmount(id, amount))));
        assertJsonAnswer(response, 400, "rejected");
        assertThat(json(response).get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(json(response).get("detail").asText())
                .isEqualTo("data.amount must have at most 64 significant digits and, written as d.ddd x 10^e, an exponent e from -64 to 64");
        assertThat(state(id)).isNull();
        assertNothingChanged();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-64", "\"1e-64\"", "1e64", "-9.99e64", "1234567890123456789012345678901234567890123456789012345678901234",
            "\"0.0000000000000000000000000000000000000000000000000000000000000001\"", "0e-64000000", "\"0E+99999999\""})
    void amountsWithin64DigitsAndExponent64AreReadAndParkedByTheirBounds(String amount) {
        long id = nextId();
        HttpResponse<String> response = send(request("token=" + SECRET, "application/json", creditsWithAmount(id, amount)));
        assertJsonAnswer(response, 202, "parked");
        assertThat(json(response).get("detail").asText()).startsWith("amount out of bounds: credits");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(count("ledger_entries")).isEqualTo(entriesBefore);
    }

    @ParameterizedTest
    @ValueSource(strings = {"credits.json", "free-months.json", "cash.json"})
    void aCustIdWithTheReservedPromoterPrefixIsRejected(String sample) {
        long id = nextId();
        HttpResponse<String> response = send(request("token=" + SECRET, "application/json",
                delivery(sample, id, Map.of("promoter.id", 9, "promoter.cust_id", "fp-promoter:7"))));
        assertJsonAnswer(response, 400, "rejected");
        assertThat(json(response).get("detail").asText()).contains("data.promoter.cust_id").contains("fp-promoter:");
        assertThat(state(id)).isNull();
        assertNothingChanged();
    }

    private void assertRejected(Map<String, Object> data, String field) {
        long id = nextId();
        HttpResponse<String> response = send(request("token=" + SECRET, "application/json", delivery("credits.json", id, data)));
        assertJsonAnswer(response, 400, "rejected");
        assertThat(json(response).get("detail").asText()).contains(field);
    }

    private static Map<String, Object> withNull(String field) {
        Map<String, Object> data = new HashMap<>();
        data.put(field, null);
        return data;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
