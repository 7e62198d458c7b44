package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import io.fulfilmentbridge.console.ParkedFulfilments;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jmx.export.naming.ObjectNamingStrategy;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole bridge on a random port, with its real H2 ledger and embedded Artemis broker; only
 * Stripe, which is out of this machine's reach, is a local stand-in.
 */
@CamelSpringBootTest
@DisableJmx(false)
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {"spring.jmx.enabled=true", "spring.jmx.unique-names=true"})
@TestPropertySource(locations = "classpath:bridge-test.properties")
public abstract class BridgeTest {

    public static final String SECRET = "first-secret-for-tests";
    public static final String OTHER_SECRET = "second-secret-for-tests";
    public static final String STRIPE_KEY = "sk_test_key_for_tests_only";

    protected static final StripeStandIn STRIPE = new StripeStandIn(0);
    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong IDS = new AtomicLong(ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @DynamicPropertySource
    static void stripeStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.stripe.api-base", STRIPE::baseUrl);
    }

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    @Autowired
    private ObjectNamingStrategy jmxNames;

    @Autowired
    private ParkedFulfilments parkedFulfilments;

    /** io.fulfilmentbridge:type=Fulfilments, made unique per application context in the tests. */
    protected ObjectName parkedFulfilmentsMBean() throws MalformedObjectNameException {
        return jmxNames.getObjectName(parkedFulfilments, "parkedFulfilments");
    }

    @BeforeEach
    void resetStripe() {
        STRIPE.reset();
    }

    /** A fulfilment id no other test uses. */
    protected static long nextId() {
        return IDS.incrementAndGet();
    }

    /**
     * On PostgreSQL a test JVM's database outlives each application context: a notice an earlier class left
     * DUE (its stand-in answered 404, or its context had no key) would be sent by this context to this
     * class's stand-in. Ids grow through the test JVM, so one below firstOwnId was an earlier class's.
     */
    protected void forgetNoticesOfEarlierClasses(long firstOwnId) {
        jdbc.update("UPDATE fulfilments SET firstpromoter_notice = NULL WHERE firstpromoter_notice = 'DUE' AND fulfilment_id < ?",
                firstOwnId);
    }

    protected URI webhook(String query) {
        return URI.create("http://localhost:" + port + "/webhooks/firstpromoter/fulfilment" + (query == null ? "" : "?" + query));
    }

    /** A sample delivery from src/test/resources/payloads/, as FirstPromoter sends them. */
    protected static String sample(String name) {
        try (var in = BridgeTest.class.getResourceAsStream("/payloads/" + name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A sample payload with its fulfilment id replaced and data fields set (null removes a field). */
    protected static String delivery(String sample, long id, Map<String, Object> data) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample(sample));
            ObjectNode d = (ObjectNode) root.get("data");
            d.put("id", id);
            data.forEach((field, value) -> {
                ObjectNode target = field.startsWith("promoter.") ? (ObjectNode) d.get("promoter") : d;
                String name = field.startsWith("promoter.") ? field.substring(9) : field;
                if (value == null) {
                    target.remove(name);
                } else {
                    target.set(name, JSON.valueToTree(value));
                }
            });
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected HttpResponse<String> post(String body) {
        return send(HttpRequest.newBuilder(webhook("token=" + SECRET))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /**
     * Sends the same delivery from n threads released at once. Each answer goes through `onAnswer` on
     * its own thread as soon as it arrives, so a test can check what the answer promised right then.
     */
    protected <T> List<T> postAtOnce(String body, int n, Function<HttpResponse<String>, T> onAnswer) throws Exception {
        return postAtOnce(Collections.nCopies(n, body), onAnswer);
    }

    /** Sends these deliveries from a thread each, released at once; the answers in the same order. */
    protected <T> List<T> postAtOnce(List<String> bodies, Function<HttpResponse<String>, T> onAnswer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> answers = new ArrayList<>();
            for (String body : bodies) {
                answers.add(pool.submit(() -> {
                    start.await();
                    return onAnswer.apply(post(body));
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> answer : answers) {
                results.add(answer.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A webhooks v2 event, posted as FirstPromoter sends it: JSON, with the webhook secret as a Bearer token. */
    protected HttpResponse<String> postEvent(String body) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/firstpromoter/events"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + SECRET)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    protected HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts an answer's status and outcome; returns its detail. */
    protected static String assertAnswer(HttpResponse<String> response, int status, String outcome) {
        JsonNode body = json(response);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(body.get("outcome").asText()).isEqualTo(outcome);
        return body.get("detail").asText();
    }

    /** A form-encoded body (Stripe's, Chargebee's) as its decoded fields, in order; a repeated field fails the test. */
    protected static Map<String, String> form(LoggedRequest request) {
        assertThat(request.getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded");
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : request.getBodyAsString().split("&")) {
            String[] kv = pair.split("=", 2);
            String previous = fields.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    URLDecoder.decode(kv.length > 1 ? kv[1] : "", StandardCharsets.UTF_8));
            assertThat(previous).as("repeated field " + kv[0]).isNull();
        }
        return fields;
    }

    protected String state(long fulfilmentId) {
        return jdbc.query("SELECT state FROM fulfilments WHERE fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, fulfilmentId);
    }

    /**
     * As if every request to a billing system whose answer was lost had been sent long before
     * bridge.billing.may-land-for: the fence is over, and the next delivery settles them.
     */
    protected void fenceOver() {
        jdbc.update("UPDATE billing_sends SET sent_at = ?", java.sql.Timestamp.from(java.time.Instant.now().minus(Duration.ofDays(1))));
    }

    protected int count(String table) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Integer.class);
    }
}
