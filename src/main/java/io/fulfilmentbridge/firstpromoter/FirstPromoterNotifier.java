package io.fulfilmentbridge.firstpromoter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentRecords;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * Tells FirstPromoter through its API that a reward it still holds pending is fulfilled: a cash payout
 * paid after its delivery was answered, or a parked reward an operator's replay applied. No delivery of
 * these was answered 200, and FirstPromoter does not promise to fire them again (contract section 8).
 * A fulfilment_pending delivery's data.id is a v1 payout id, so it is closed with API v1's payout update
 * and the v1 key; off without bridge.firstpromoter.v1-api-key. The v2 key never closes one: a v2
 * commission with the same number would be closed instead. The firstpromoter-notify route hands over
 * the rows whose notice is due; each attempt is counted in the row before the call, so a crash loses no
 * notice and a dead API is not called without end.
 */
@Component("firstPromoterNotifier")
public class FirstPromoterNotifier {

    /** FirstPromoter API v1: changes a payout's status; with status=completed it is fulfilled. */
    public static final String PAYOUT_UPDATE = "/api/v1/payouts/update";

    private static final Logger log = LoggerFactory.getLogger(FirstPromoterNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FulfilmentRecords records;
    private final MeterRegistry meters;
    private final String v1ApiKey;
    private final String payoutUpdate;
    private final Duration readTimeout;
    private final int maxAttempts;
    private final Duration retryBackoff;
    private final HttpClient http;

    /** The v2 key without an account id never gets here: FirstPromoterSettings refuses it at start-up. */
    public FirstPromoterNotifier(FulfilmentRecords records, MeterRegistry meters, FirstPromoterSettings settings) {
        this.records = records;
        this.meters = meters;
        this.v1ApiKey = StringUtils.hasText(settings.v1ApiKey()) ? settings.v1ApiKey().trim() : null;
        if (StringUtils.hasText(settings.apiKey()) && this.v1ApiKey == null) {
            log.warn("bridge.firstpromoter.api-key (v2) is set but bridge.firstpromoter.v1-api-key is not: "
                    + "fulfilment_pending rewards carry v1 payout ids and are closed only with the v1 key, "
                    + "so FirstPromoter is not told about paid payouts or replayed rewards");
        }
        this.payoutUpdate = settings.v1ApiBase().replaceAll("/+$", "") + PAYOUT_UPDATE;
        this.readTimeout = settings.readTimeout();
        this.maxAttempts = settings.maxAttempts();
        this.retryBackoff = settings.retryBackoff();
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** The firstpromoter-notify route exists only when this is true. */
    public boolean enabled() {
        return v1ApiKey != null;
    }

    /**
     * Tells FirstPromoter that one fulfilment whose notice is due is fulfilled, and records how that
     * went: sent, to be retried after a backoff, or given up.
     */
    public void tell(long fulfilmentId, int attemptsBefore) {
        if (!enabled()) {
            return;
        }
        int attempt = attemptsBefore + 1;
        // Legacy: route firstpromoter-notify reads only source v1 rows, which API v1 completes by payout id.
        FulfilmentKey key = FulfilmentKey.pending(fulfilmentId);
        // Counted before the call; also keeps a second bridge instance from sending the same notice.
        if (!records.takeNoticeAttempt(key, attemptsBefore, Instant.now().plus(backoff(attempt)))) {
            return;
        }
        ApiReply reply = completePayout(fulfilmentId);
        if (reply.sent()) {
            records.noticeSent(key, attempt);
            count("sent");
            log.info("told FirstPromoter that fulfilment {} is fulfilled (attempt {})", fulfilmentId, attempt);
        } else if (reply.retryable() && attempt < maxAttempts) {
            count("retry");
            log.warn("telling FirstPromoter that fulfilment {} is fulfilled failed (attempt {} of {}): {}; next attempt in {}",
                    fulfilmentId, attempt, maxAttempts, reply.detail(),
                    backoff(attempt).toString().substring(2).toLowerCase());
        } else {
            records.noticeGaveUp(key, attempt);
            count("gave_up");
            log.warn("gave up telling FirstPromoter that fulfilment {} is fulfilled after attempt {}: {}; "
                    + "mark it fulfilled in FirstPromoter by hand", fulfilmentId, attempt, reply.detail());
        }
    }

    /** API v1 takes its parameters as query parameters, not JSON, and answers the payout object. */
    private ApiReply completePayout(long payoutId) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(payoutUpdate + "?id=" + payoutId + "&status=completed"))
                .timeout(readTimeout)
                .header("X-API-KEY", v1ApiKey)
                .header("Accept", "application/json")
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                String notCompleted = notCompleted(response.body());
                return notCompleted == null ? ApiReply.SENT : new ApiReply(false, false, "status " + status + ", " + notCompleted);
            }
            // A wrong key (401/403) may be fixed while attempts remain; 404 (no such payout) and 422 are final.
            boolean retryable = status >= 500 || status == 401 || status == 403 || status == 408 || status == 409
                    || status == 429;
            return new ApiReply(false, retryable, "status " + status + excerpt(response.body()));
        } catch (IOException unreachable) {
            return new ApiReply(false, true, unreachable.getClass().getSimpleName());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return new ApiReply(false, true, "interrupted");
        }
    }

    /** The answered payout says a status other than completed, or null. */
    private String notCompleted(String body) {
        try {
            JsonNode payout = JSON.readTree(body == null ? "" : body);
            String status = payout == null ? "" : payout.path("status").asText("");
            if (!status.isEmpty() && !"completed".equals(status)) {
                return "FirstPromoter left the payout" + excerpt(status);
            }
        } catch (IOException notJson) {
            // A 2xx without the documented body still took the request.
        }
        return null;
    }

    /** A short excerpt of FirstPromoter's error, never with the key even if it were echoed. */
    private String excerpt(String body) {
        if (!StringUtils.hasText(body)) {
            return "";
        }
        String text = body.replace(v1ApiKey, "[key]").replaceAll("\\s+", " ").trim();
        return ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }

    private Duration backoff(int attempt) {
        return retryBackoff.multipliedBy(1L << Math.min(attempt - 1, 10));
    }

    private void count(String outcome) {
        Counter.builder("bridge.firstpromoter.notices").description("Calls telling FirstPromoter a reward is fulfilled, by outcome")
                .tag("outcome", outcome).register(meters).increment();
    }

    private record ApiReply(boolean sent, boolean retryable, String detail) {
        static final ApiReply SENT = new ApiReply(true, false, null);
    }
}
