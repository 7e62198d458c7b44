package io.fulfilmentbridge.recurly;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The bridge with bridge.billing.system=recurly against the Recurly stand-in, reset before each test.
 * An interface, so the Recurly tests and the billing port's contract share one configuration (and one
 * application context).
 */
@TestPropertySource(properties = {"bridge.billing.system=recurly", "bridge.recurly.api-key=" + RecurlyBridge.RECURLY_KEY,
        "bridge.recurly.read-timeout=3s"})
interface RecurlyBridge {

    String RECURLY_KEY = "recurly_private_key_for_tests_only";
    String MARKER_FIELD = "firstpromoter_grant";
    RecurlyStandIn RECURLY = new RecurlyStandIn(0, RECURLY_KEY);
    AtomicBoolean WARM = new AtomicBoolean();

    @DynamicPropertySource
    static void recurlyStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.recurly.api-base", RECURLY::baseUrl);
    }

    @BeforeEach
    default void resetRecurly() {
        RECURLY.reset();
        warmUp();
    }

    /**
     * The stand-in's first answer in a cold JVM on a loaded machine can take longer than the read
     * timeout: one request before the first test, so no test meets it.
     */
    private static void warmUp() {
        if (WARM.get()) {
            return;
        }
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(RECURLY.baseUrl() + "/warm-up")).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RECURLY.server().resetRequests();
        WARM.set(true);
    }
}
