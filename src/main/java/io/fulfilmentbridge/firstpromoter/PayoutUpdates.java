package io.fulfilmentbridge.firstpromoter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.tracing.Spans;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.util.StringUtils;

/**
 * API v1's payout update, with which FirstPromoterNotifier closes a fulfilment_pending reward: its data.id is
 * a v1 payout id, closed only with the v1-api-key (docs/promises.md, Telling FirstPromoter). Each call is
 * counted in the shared budget (docs/promises.md, Within FirstPromoter's limit).
 */
class PayoutUpdates {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String v1ApiKey;
    private final String payoutUpdate;
    private final Duration readTimeout;
    private final HttpClient http;
    private final Spans spans;
    private final FirstPromoterBudget budget;

    PayoutUpdates(FirstPromoterSettings settings, Spans spans, FirstPromoterBudget budget) {
        this.v1ApiKey = StringUtils.hasText(settings.v1ApiKey()) ? settings.v1ApiKey().trim() : null;
        this.payoutUpdate = settings.v1ApiBase().replaceAll("/+$", "") + FirstPromoterNotifier.PAYOUT_UPDATE;
        this.readTimeout = settings.readTimeout();
        this.spans = spans;
        this.budget = budget;
        this.http = ApiV2.client(settings);
    }

    /** The v1 key is set: fulfilment_pending rewards are told. */
    boolean configured() {
        return v1ApiKey != null;
    }

    /** API v1 takes its parameters as query parameters, not JSON, and answers the payout object. */
    NoticeReply complete(long payoutId) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(payoutUpdate + "?id=" + payoutId + "&status=completed"))
                .timeout(readTimeout)
                .header("X-API-KEY", v1ApiKey)
                .header("Accept", "application/json")
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            // Its span names the path alone: the query holds the payout id, the key is a header.
            HttpResponse<String> response = spans.http("firstpromoter", "PUT " + FirstPromoterNotifier.PAYOUT_UPDATE,
                    () -> http.send(request, HttpResponse.BodyHandlers.ofString()));
            budget.answered(response.statusCode(), response.headers());
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                String notCompleted = notCompleted(response.body());
                return notCompleted == null ? NoticeReply.SENT : new NoticeReply(false, false, "status " + status + ", " + notCompleted);
            }
            // A wrong key (401/403) may be fixed while attempts remain; 404 (no such payout) and 422 are final.
            return new NoticeReply(false, ApiV2.retryable(status), "status " + status + v1Excerpt(response.body()));
        } catch (IOException unreachable) {
            return new NoticeReply(false, true, unreachable.getClass().getSimpleName());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return new NoticeReply(false, true, "interrupted");
        }
    }

    /** The answered payout says a status other than completed, or null. */
    private String notCompleted(String body) {
        try {
            JsonNode payout = JSON.readTree(body == null ? "" : body);
            String status = payout == null ? "" : payout.path("status").asText("");
            if (!status.isEmpty() && !"completed".equals(status)) {
                return "FirstPromoter left the payout" + v1Excerpt(status);
            }
        } catch (IOException notJson) {
            // A 2xx without the documented body still took the request.
        }
        return null;
    }

    /** A short excerpt of FirstPromoter's error, never with the key even if it were echoed. */
    private String v1Excerpt(String body) {
        if (!StringUtils.hasText(body)) {
            return "";
        }
        String text = body.replace(v1ApiKey, "[key]").replaceAll("\\s+", " ").trim();
        return ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }
}
