package io.fulfilmentbridge.billing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * A billing system's HTTP API on the JDK's client, for the adapters without a Java client of their
 * own that lets them set a timeout and an idempotency key. Each call is cut to the answer's deadline.
 * What is transient (no answer in time, 429, 5xx) is {@link RetryLater} naming the system and the
 * call, never its headers (the key); any other answer is returned for the adapter to judge.
 */
public final class BillingHttp {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Below this the call is not started: the answer could not come back in time for a 200. */
    private static final long LEAST_MILLIS = 50;

    private final String system;
    private final HttpClient client;
    private final Duration readTimeout;
    private final MeterRegistry meters;
    private final Spans spans;

    /**
     * Calls bounded by the answer's deadline and the read timeout, whichever ends first; each counted in
     * bridge_billing_calls_seconds{system,outcome} (ok, refused: another 4xx, retry: 429, 5xx or no answer).
     */
    public BillingHttp(String system, Duration connectTimeout, Duration readTimeout, MeterRegistry meters, Spans spans) {
        this.system = system;
        this.spans = spans;
        this.readTimeout = readTimeout;
        this.meters = meters;
        // HTTP/1.1: the stand-ins and the vendors' APIs alike; no redirects, which could resend a write.
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Sends the request, bounded by the deadline and the read timeout; see the class comment for what it throws. */
    public Answer send(HttpRequest.Builder request, Deadline deadline) {
        HttpRequest built = request.build();
        // A span per call (docs/operations.md, Traces): the method and path, never the query (an email) or a header (the key).
        return spans.call(system.toLowerCase(), built.method() + " " + built.uri().getPath(), () -> timed(request, built, deadline));
    }

    private Answer timed(HttpRequest.Builder request, HttpRequest built, Deadline deadline) {
        long remaining = Math.min(deadline.remainingMillis(), readTimeout.toMillis());
        String call = built.method() + " " + built.uri().getPath();
        if (remaining < LEAST_MILLIS) {
            throw new RetryLater(system + " not called (" + call + "): the answer's deadline is spent");
        }
        HttpResponse<String> response;
        Timer.Sample sample = Timer.start(meters);
        String outcome = "retry";
        try {
            response = client.send(request.timeout(Duration.ofMillis(remaining)).build(),
                    HttpResponse.BodyHandlers.ofString());
            int answered = response.statusCode();
            outcome = answered >= 200 && answered < 300 ? "ok" : answered == 429 || answered >= 500 ? "retry" : "refused";
        } catch (HttpTimeoutException slow) {
            throw new RetryLater(system + " did not answer " + call + " in time");
        } catch (IOException unreachable) {
            throw new RetryLater(system + " could not be reached for " + call + " (" + unreachable.getClass().getSimpleName() + ")");
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RetryLater(system + " call " + call + " interrupted");
        } finally {
            sample.stop(Timer.builder("bridge.billing.calls").description("Calls to the billing system, by outcome")
                    .tag("system", system.toLowerCase()).tag("outcome", outcome).register(meters));
        }
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            throw new RetryLater(system + " answered " + status + " to " + call);
        }
        return new Answer(status, response.body());
    }

    /** An answer the adapter judges: its status and body. */
    public record Answer(int status, String body) {

        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The body as JSON; an unreadable body is transient, like a proxy's error page. */
        public JsonNode json() {
            try {
                return JSON.readTree(body == null || body.isEmpty() ? "{}" : body);
            } catch (IOException unreadable) {
                throw new RetryLater("an answer that is not JSON (status " + status + ")");
            }
        }
    }
}
