package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.TracedBridgeTest;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Traces of webhooks v2 commissions (docs/operations.md, Traces) on a bridge granting in Chargebee:
 * each event is one trace from the inbound request through FirstPromoter's API calls, the grant (the
 * ledger's or Chargebee's calls) and the answer, each outbound call a client span. No span holds
 * FirstPromoter's key or Account-ID, the webhook secret, a promoter's auth_token or temp_password,
 * Chargebee's key or its Authorization header. One class, one application context for both.
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=" + ChargebeeV2TracesTest.FIRSTPROMOTER_KEY,
        "bridge.firstpromoter.account-id=" + ChargebeeV2TracesTest.ACCOUNT,
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.retry-backoff=200ms"})
class ChargebeeV2TracesTest extends TracedBridgeTest implements ChargebeeBridge {

    static final String FIRSTPROMOTER_KEY = "fp_v2_key_traced_Lm93pQ";
    static final String ACCOUNT = "acc_traced_7Qx2";
    private static final String AUTH_TOKEN = "fp_auth_token_traced_c0ffee42";
    private static final String TEMP_PASSWORD = "tmp_pw_traced_9z8y";
    private static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final long CREDITS_REWARD = 31;
    private static final long MONTHS_REWARD = 32;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    /** Below every id this class takes (ids grow through the test JVM): a due notice with a smaller one is an earlier class's. */
    private static final long FIRST_OWN_ID = nextId();

    @BeforeEach
    void resetFirstPromoter() {
        // On PostgreSQL the JVM's classes share a database: an earlier class's due notice would share this one's
        // mark_fulfilled call, made in the trace of the first of them.
        forgetNoticesOfEarlierClasses(FIRST_OWN_ID);
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(CREDITS_REWARD, true, "credits", null, null, null),
                FirstPromoterStandIn.reward(MONTHS_REWARD, true, "free_months", null, null, null));
    }

    @Override
    protected List<String> ownSecrets() {
        return List.of(FIRSTPROMOTER_KEY, ACCOUNT, AUTH_TOKEN, TEMP_PASSWORD, CHARGEBEE_KEY, BASIC.substring("Basic ".length()));
    }

    /** FirstPromoter's approval of a promoter's commission; its API knows the commission and the promoter, with custId. */
    private static String approvedCommission(long id, String unit, long amount, long rewardId, String custId) {
        long promoterId = nextId();
        String email = "promoter-" + promoterId + "@example.com";
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", unit, amount, promoterId, email,
                null, null, null, rewardId));
        // The promoter as the API answers it, with the fields the bridge must never keep or trace.
        FIRSTPROMOTER.stubPromoterAnswer(promoterId, okJson(FirstPromoterStandIn.promoter(promoterId, email, custId)
                .replaceFirst("\\{", "{\"auth_token\":\"" + AUTH_TOKEN + "\",\"temp_password\":\"" + TEMP_PASSWORD + "\",")));
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample("v2-docs-commission-approved.json"));
            root.put("event_id", UUID.randomUUID().toString());
            root.put("event_type", "commission.approved");
            root.put("entity_id", id);
            root.putObject("changes");
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", unit);
            data.put("amount", amount);
            root.put("timestamp", Instant.parse("2026-11-30T10:15:00Z").toString());
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The calls a stand-in received, as method and path (no query), in order. */
    private static List<String> callsReceived(List<LoggedRequest> requests) {
        return requests.stream().sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(r -> r.getMethod() + " " + r.getUrl().split("\\?")[0]).toList();
    }

    private static List<String> callsTraced(List<SpanData> calls, String system) {
        return calls.stream().map(s -> s.getName().substring(system.length() + 1)).toList();
    }

    /** The delivery's own calls to FirstPromoter's API: its close comes later, from the notices' poll, under span firstpromoter notice. */
    private static List<SpanData> deliveryCalls(List<SpanData> trace) {
        return callsOf(trace, "firstpromoter").stream()
                .filter(s -> !s.getName().endsWith("mark_fulfilled") && !s.getName().equals("firstpromoter notice")).toList();
    }

    /** FirstPromoter's API calls the delivery made (mark_fulfilled comes later, from the notices' poll). */
    private static List<String> firstPromoterCallsOfTheDelivery() {
        return callsReceived(FIRSTPROMOTER.requests()).stream().filter(call -> !call.endsWith(FirstPromoterStandIn.MARK_FULFILLED)).toList();
    }

    @Test
    void aCreditsCommissionIsOneTraceFromTheEventThroughFirstPromotersApiAndTheLedgerToTheAnswer() {
        long id = nextId();
        String account = "app-user-traced-" + id;
        String event = approvedCommission(id, "credits", 20, CREDITS_REWARD, account);

        assertThat(assertAnswer(postEvent(event), 200, "granted")).isEqualTo("credited 20 credits to " + account);
        assertThat(jdbc.queryForList("SELECT account, amount FROM ledger_entries WHERE source = 'v2' AND fulfilment_id = ?", id))
                .extracting(r -> r.get("account") + " " + ((BigDecimal) r.get("amount")).stripTrailingZeros().toPlainString())
                .containsExactlyInAnyOrder(account + " 20", "credits -20");

        List<SpanData> trace = traceWith(s -> s.getName().equals("credits"));
        SpanData root = rootOf(trace);
        assertThat(root.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(root.getName()).isEqualTo("http post /webhooks/firstpromoter/events");
        // Camel's span of the events door (route firstpromoter-events) is named after its method.
        assertThat(named(trace, "POST").getParentSpanId()).isEqualTo(root.getSpanId());
        assertThat(names(trace)).contains("commission-approval", "fulfilment", "credits", "answer");
        assertThat(descendsFrom(trace, named(trace, "credits"), named(trace, "commission-approval"))).isTrue();
        assertThat(descendsFrom(trace, named(trace, "answer"), root)).isTrue();
        // Every API call the delivery made is a client span of this trace, under the approval's route.
        List<SpanData> apiCalls = deliveryCalls(trace);
        assertClientCallsUnder(trace, apiCalls, "firstpromoter", "commission-approval");
        assertThat(callsTraced(apiCalls, "firstpromoter")).containsExactlyElementsOf(firstPromoterCallsOfTheDelivery())
                .contains("GET " + FirstPromoterStandIn.COMMISSIONS);
        assertThat(names(trace)).noneMatch(n -> n.startsWith("chargebee"));
        // Its close, sent later from the database by route firstpromoter-notify, continues the same trace.
        String traceId = root.getTraceId();
        SpanData notice = awaitSpan(s -> s.getTraceId().equals(traceId) && s.getName().equals("firstpromoter notice"));
        SpanData close = awaitSpan(s -> s.getTraceId().equals(traceId) && s.getName().equals("firstpromoter POST "
                + FirstPromoterStandIn.MARK_FULFILLED));
        assertThat(close.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(close.getParentSpanId()).isEqualTo(notice.getSpanId());
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isNotEmpty();
    }

    @Test
    void aFreeMonthsCommissionHasEachChargebeeCallAsAClientSpanUnderItsTrace() {
        long id = nextId();
        String customer = "cb_cust_traced_" + id;
        String subscription = "cb_sub_traced_" + id;
        CHARGEBEE.stubGrantableCustomer(customer, subscription, "jane@example.org");
        String event = approvedCommission(id, "free_months", 1, MONTHS_REWARD, customer);

        assertAnswer(postEvent(event), 200, "granted");
        String change = ChargebeeStandIn.changeTermEndPath(subscription);
        assertThat(CHARGEBEE.server().findAll(postRequestedFor(urlPathEqualTo(change)))).singleElement()
                .satisfies(request -> assertThat(request.getHeader("Authorization")).isEqualTo(BASIC));

        List<SpanData> trace = traceWith(s -> s.getName().equals("chargebee POST " + change));
        assertThat(rootOf(trace).getName()).isEqualTo("http post /webhooks/firstpromoter/events");
        List<SpanData> chargebeeCalls = callsOf(trace, "chargebee");
        assertClientCallsUnder(trace, chargebeeCalls, "chargebee", "free-months");
        // Each request Chargebee received is one client span of the delivery's trace, in order.
        assertThat(callsTraced(chargebeeCalls, "chargebee"))
                .containsExactlyElementsOf(callsReceived(CHARGEBEE.server().findAll(anyRequestedFor(anyUrl()))));
        assertClientCallsUnder(trace, deliveryCalls(trace), "firstpromoter", "commission-approval");
        assertThat(names(trace)).noneMatch(n -> n.startsWith("stripe"));
    }
}
