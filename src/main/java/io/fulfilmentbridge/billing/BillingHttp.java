package io.fulfilmentbridge.billing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RetryLater;
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

    /** Calls bounded by the answer's deadline alone. */
    public BillingHttp(String system, Duration connectTimeout) {
        this(system, connectTimeout, Duration.ofDays(1));
    }

    /** Calls bounded by the answer's deadline and the read timeout, whichever ends first. */
    public BillingHttp(String system, Duration connectTimeout, Duration readTimeout) {
        this.system = system;
        this.readTimeout = readTimeout;
        // HTTP/1.1: the stand-ins and the vendors' APIs alike; no redirects, which could resend a write.
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Sends the request, bounded by the deadline and the read timeout; see the class comment for what it throws. */
    public Answer send(HttpRequest.Builder request, Deadline deadline) {
        long remaining = Math.min(deadline.remainingMillis(), readTimeout.toMillis());
        HttpRequest built = request.build();
        String call = built.method() + " " + built.uri().getPath();
        if (remaining < LEAST_MILLIS) {
            throw new RetryLater(system + " not called (" + call + "): the answer's deadline is spent");
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.timeout(Duration.ofMillis(remaining)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException slow) {
            throw new RetryLater(system + " did not answer " + call + " in time");
        } catch (IOException unreachable) {
            throw new RetryLater(system + " could not be reached for " + call + " (" + unreachable.getClass().getSimpleName() + ")");
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RetryLater(system + " call " + call + " interrupted");
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
