package io.fulfilmentbridge.production;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.chargebee.ChargebeeStandIn;
import io.fulfilmentbridge.paddle.PaddleStandIn;
import io.fulfilmentbridge.recurly.RecurlyStandIn;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 in production form: a bridge JVM per billing system other than Stripe (chosen by
 * BRIDGE_BILLING_SYSTEM, its key from the environment, on PostgreSQL and the external broker), the
 * three started together, each exercised once: hostile deliveries (Camel-named headers in any letter
 * case, an absurd number of months) change nothing and reach no billing system; a real grant reaches
 * it once, under its key, and a re-sent delivery is answered from the record. LogScanIT then checks
 * the three keys never reached a log or an answer.
 */
@Order(8)
class BillingSystemsIT extends ProductionSupport {

    private static final List<String> CAMEL_HEADERS = List.of("CamelHttpUri", "camelhttpmethod", "CAMELBEANMETHODNAME",
            "cAmElSqlQuery", "CamelHttpResponseCode", "camelJmsDestinationName");

    /** One billing system's bridge, its stand-in, the customer it knows, and the write a grant makes. */
    private record System(String name, Map<String, String> environment, WireMockServer standIn, String custId,
                          String writeMethod, String writePath) {
    }

    private static final Map<String, System> SYSTEMS = new LinkedHashMap<>();
    private static final Map<String, BridgeProcess> BRIDGES = new LinkedHashMap<>();

    /** The three bridges are launched together, so their start-ups overlap; each test then exercises one. */
    @BeforeAll
    static void startTheThreeBridges() {
        ChargebeeStandIn chargebee = new ChargebeeStandIn(0);
        chargebee.stubGrantableCustomer("cb_it_customer", "cb_it_sub", "cb-it@example.org");
        add(new System("chargebee", Map.of("BRIDGE_CHARGEBEE_SITE", "acme-test",
                "BRIDGE_CHARGEBEE_API_KEY", CHARGEBEE_KEY, "BRIDGE_CHARGEBEE_APIBASE", chargebee.baseUrl()),
                chargebee.server(), "cb_it_customer", "POST", ChargebeeStandIn.changeTermEndPath("cb_it_sub")));
        RecurlyStandIn recurly = new RecurlyStandIn(0, RECURLY_KEY);
        recurly.stubGrantableAccount("itaccount001", "app-it-customer", "recurly-it@example.org", "itsubscripti",
                Instant.now().plus(Duration.ofDays(20)));
        add(new System("recurly", Map.of("BRIDGE_RECURLY_API_KEY", RECURLY_KEY,
                "BRIDGE_RECURLY_APIBASE", recurly.baseUrl()),
                recurly.server(), "app-it-customer", "PUT", "/subscriptions/itsubscripti"));
        PaddleStandIn paddle = new PaddleStandIn(0);
        paddle.stubGrantable("ctm_01itcustomer0000000000000", "sub_01itsubscription00000000", "paddle-it@example.org",
                Instant.now().plus(Duration.ofDays(20)));
        add(new System("paddle", Map.of("BRIDGE_PADDLE_API_KEY", PADDLE_KEY,
                "BRIDGE_PADDLE_APIBASE", paddle.baseUrl()),
                paddle.server(), "ctm_01itcustomer0000000000000", "PATCH", "/subscriptions/sub_01itsubscription00000000"));
        BRIDGES.values().forEach(BridgeProcess::launch);
        BRIDGES.values().forEach(BridgeProcess::awaitReady);
    }

    private static void add(System system) {
        Map<String, String> environment = new LinkedHashMap<>(Bridges.environment());
        environment.put("BRIDGE_BILLING_SYSTEM", system.name());
        environment.putAll(system.environment());
        SYSTEMS.put(system.name(), system);
        BRIDGES.put(system.name(), new BridgeProcess("bridge-" + system.name(), environment));
    }

    @AfterAll
    static void stopTheBridges() {
        BRIDGES.values().forEach(BridgeProcess::stop);
        SYSTEMS.values().forEach(system -> system.standIn().stop());
    }

    @Test
    void chargebee() {
        exercise(SYSTEMS.get("chargebee"));
    }

    @Test
    void recurly() {
        exercise(SYSTEMS.get("recurly"));
    }

    @Test
    void paddle() {
        exercise(SYSTEMS.get("paddle"));
    }

    private void exercise(System system) {
        BridgeProcess bridge = BRIDGES.get(system.name());
        try {
            // Hostile: an absurd number of months, with headers named like Camel's own: parked, nothing asked.
            for (Object months : List.<Object>of(1_000_000_000L, 1e308, -3, "12 months")) {
                long id = nextId();
                Answer answer = send(bridge, withCamelHeaders(HttpRequest.newBuilder(bridge.webhook("token=" + SECRET)))
                        .POST(HttpRequest.BodyPublishers.ofString(freeMonths(id, system.custId(), months))));
                assertThat(answer.status()).as(system.name() + " " + months + ": " + answer.detail()).isIn(202, 400);
                assertThat(state(id)).as(system.name() + " " + months).isIn("PARKED", null);
            }
            assertThat(system.standIn().findAll(anyRequestedFor(anyUrl()))).as(system.name() + ": nothing asked").isEmpty();

            // A real grant, with the same headers: granted once, under the grant's idempotency key where the system has one.
            long id = nextId();
            String body = freeMonths(id, system.custId(), 1);
            Answer granted = send(bridge, withCamelHeaders(HttpRequest.newBuilder(bridge.webhook("token=" + SECRET)))
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(granted.status()).as(system.name() + ": " + granted.detail()).isEqualTo(200);
            assertThat(granted.outcome()).isEqualTo("granted");
            Answer again = deliver(bridge, body);
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.detail()).contains("before");
            List<LoggedRequest> writes = system.standIn().findAll(anyRequestedFor(anyUrl())).stream()
                    .filter(r -> r.getMethod().getName().equals(system.writeMethod()) && r.getUrl().split("\\?")[0].equals(system.writePath()))
                    .map(LoggedRequest.class::cast).toList();
            assertThat(writes).as(system.name() + ": the grant's write").hasSize(1);
            if (system.name().equals("chargebee")) {
                assertThat(writes.get(0).getHeader("chargebee-idempotency-key")).isEqualTo("fulfilment-" + id);
            } else {
                // Recurly and Paddle take no idempotency key: the grant's marker rides in the same write.
                assertThat(writes.get(0).getBodyAsString()).contains("fulfilment-" + id);
            }
            assertThat(state(id)).isEqualTo("GRANTED");
            summary(system.name() + ": hostile deliveries parked without a call; one grant, one write, the repeat answered from the record");
        } finally {
            // Stopped once exercised, as before: the log scan reads what it wrote.
            bridge.stop();
        }
    }

    private static String freeMonths(long id, String custId, Object months) {
        return delivery("free-months.json", id, Map.of("amount", months, "promoter.cust_id", custId));
    }

    private static HttpRequest.Builder withCamelHeaders(HttpRequest.Builder request) {
        request.header("Content-Type", "application/json");
        for (int i = 0; i < CAMEL_HEADERS.size(); i++) {
            String name = CAMEL_HEADERS.get(i);
            request.header(i % 2 == 0 ? name : name.toUpperCase(Locale.ROOT), i % 3 == 0 ? "http://127.0.0.1:1/steal"
                    : "grantFreeMonths");
        }
        return request;
    }
}
