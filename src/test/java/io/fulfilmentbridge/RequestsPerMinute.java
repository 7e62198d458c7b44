package io.fulfilmentbridge;

import com.github.tomakehurst.wiremock.extension.requestfilter.RequestFilterAction;
import com.github.tomakehurst.wiremock.extension.requestfilter.StubRequestFilterV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * FirstPromoter's per-account rate limit on the stand-in (docs/promises.md, Within FirstPromoter's limit):
 * past n requests served within the last 60 s, whatever was asked, it answers 429 Too Many Requests with a
 * Retry-After (whole seconds until the oldest of them leaves the minute) before any stub is matched. The
 * window slides: the stricter reading of FirstPromoter's "a minute", so a test passes against either. Off
 * (no limit) until set; the 429s it answered are not counted as served.
 */
final class RequestsPerMinute implements StubRequestFilterV2 {

    private static final long MINUTE = Duration.ofMinutes(1).toNanos();

    private int limit;
    /** When each request served within the last minute arrived (System.nanoTime()), oldest first. */
    private final Deque<Long> served = new ArrayDeque<>();

    @Override
    public String getName() {
        return "firstpromoter-requests-per-minute";
    }

    synchronized void limit(int requestsPerMinute) {
        if (requestsPerMinute < 0) {
            throw new IllegalArgumentException("a limit is 0 (off) or more requests a minute, not " + requestsPerMinute);
        }
        limit = requestsPerMinute;
        served.clear();
    }

    @Override
    public synchronized RequestFilterAction filter(Request request, ServeEvent serveEvent) {
        if (limit == 0) {
            return RequestFilterAction.continueWith(request);
        }
        long now = System.nanoTime();
        while (!served.isEmpty() && now - served.peekFirst() >= MINUTE) {
            served.removeFirst();
        }
        if (served.size() < limit) {
            served.addLast(now);
            return RequestFilterAction.continueWith(request);
        }
        long untilRoom = served.peekFirst() + MINUTE - now;
        long retryAfterSeconds = Math.max(1, (untilRoom + 999_999_999) / 1_000_000_000);
        return RequestFilterAction.stopWith(FirstPromoterStandIn.error(429, "Too many requests", "rate_limited")
                .withHeader("Retry-After", Long.toString(retryAfterSeconds)).build());
    }
}
