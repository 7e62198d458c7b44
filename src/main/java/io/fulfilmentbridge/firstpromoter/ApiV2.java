package io.fulfilmentbridge.firstpromoter;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.tracing.Spans;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.util.StringUtils;

/**
 * FirstPromoter's API v2 as the bridge calls it: every call under /api/v2/company with the Bearer key
 * and the Account-ID header, a timeout per call, no redirect followed (it would carry the key elsewhere).
 * The key never leaves this class: answers are excerpted with it blanked out. Each call takes its request
 * from the shared budget first, by its caller's class ({@link #take}); a 429 answered pauses every instance.
 */
final class ApiV2 {

    static final String COMPANY = "/api/v2/company";

    private final String base;
    private final String key;
    private final String accountId;
    private final HttpClient http;
    private final Spans spans;
    private final FirstPromoterBudget budget;

    ApiV2(FirstPromoterSettings settings, Spans spans, FirstPromoterBudget budget) {
        this.spans = spans;
        this.budget = budget;
        this.base = settings.apiBase().replaceAll("/+$", "") + COMPANY;
        this.key = StringUtils.hasText(settings.apiKey()) ? settings.apiKey().trim() : null;
        this.accountId = settings.accountId().trim();
        this.http = client(settings);
    }

    /** How every call to FirstPromoter is made: HTTP/1.1, its connect timeout, no redirect followed (the key would go with it). */
    static HttpClient client(FirstPromoterSettings settings) {
        return HttpClient.newBuilder().connectTimeout(settings.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    boolean configured() {
        return key != null;
    }

    /** A status, body and headers; the body as FirstPromoter sent it, to be read, never logged whole. */
    record Reply(int status, String body, java.net.http.HttpHeaders headers) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** One request from the budget for the next call, waiting at most waitMillis (Spent when none came). */
    void take(FirstPromoterBudget.Caller caller, long waitMillis) {
        budget.take(caller, waitMillis);
    }

    /** pathAndQuery: under /api/v2/company, already encoded; its request taken from the budget before. */
    Reply get(String pathAndQuery, Duration timeout) throws IOException, InterruptedException {
        return send(request(pathAndQuery, timeout).GET());
    }

    Reply postJson(String path, String json, Duration timeout) throws IOException, InterruptedException {
        return send(request(path, timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
        if (key == null) {
            throw new IllegalStateException("bridge.firstpromoter.api-key is not set");
        }
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .timeout(timeout)
                .header("Authorization", "Bearer " + key)
                .header("Account-ID", accountId)
                .header("Accept", "application/json");
    }

    /** A span per call (docs/operations.md, Traces): the method and path, never the query or the key. */
    private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpRequest built = request.build();
        return spans.http("firstpromoter", built.method() + " " + built.uri().getPath(), () -> {
            HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
            budget.answered(response.statusCode(), response.headers());
            return new Reply(response.statusCode(), response.body(), response.headers());
        });
    }

    /**
     * The items of a list answer, in either shape FirstPromoter's API v2 sends: a bare array (the
     * commissions and rewards openapi files) or {"data": [...], "meta": {...}} (the promoters list's).
     * Null when the answer is neither.
     */
    static JsonNode listItems(JsonNode answer) {
        if (answer.isArray()) {
            return answer;
        }
        JsonNode data = answer.path("data");
        return answer.isObject() && data.isArray() ? data : null;
    }

    /** What a list answer says of the pages after the one read: no more, more, or nothing. */
    enum Paging {
        LAST,
        MORE,
        UNSAID
    }

    /**
     * What a {data, meta} answer's meta says of the pages after this one: next_page (null on the last
     * page) or total_pages, where it gives them. FirstPromoter's reference names neither, so a bare
     * array, or a meta without them, is UNSAID and the caller asks on until a page is short.
     */
    static Paging paging(JsonNode answer, int page) {
        JsonNode meta = answer.path("meta");
        if (!answer.isObject() || !meta.isObject()) {
            return Paging.UNSAID;
        }
        JsonNode next = meta.get("next_page");
        if (next != null && next.isNull()) {
            return Paging.LAST;
        }
        if (next != null && next.isIntegralNumber()) {
            return Paging.MORE;
        }
        JsonNode total = meta.path("total_pages");
        if (total.isIntegralNumber() && total.canConvertToInt()) {
            return page >= total.intValue() ? Paging.LAST : Paging.MORE;
        }
        return Paging.UNSAID;
    }

    /** Statuses worth another try: FirstPromoter busy or down, or a key that may be fixed (401/403). */
    static boolean retryable(int status) {
        return status >= 500 || status == 401 || status == 403 || status == 408 || status == 409 || status == 429;
    }

    /** A short excerpt of an answer, with the key blanked out should FirstPromoter echo it. */
    String excerpt(String body) {
        if (!StringUtils.hasText(body)) {
            return "";
        }
        String text = (key == null ? body : body.replace(key, "[key]")).replaceAll("\\s+", " ").trim();
        return ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }
}
