package io.fulfilmentbridge.firstpromoter;

import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.StripeStandIn;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Webhooks v2, black box (contract 9, 10, 11): a bridge with bridge.firstpromoter.inbound=v2 takes
 * commission events over real HTTP on the events endpoint, reads whose reward it is from FirstPromoter's
 * API (a local stand-in built from its openapi files), applies it in the real ledger or Stripe's
 * stand-in, answers, and closes it with mark_fulfilled. Assertions are what each party sees: the
 * answer, the ledger rows, the exact requests Stripe and FirstPromoter received.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=" + CommissionEventsTest.API_KEY,
        "bridge.firstpromoter.account-id=" + CommissionEventsTest.ACCOUNT,
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.retry-backoff=200ms",
        "bridge.stuck-after=1s"})
class CommissionEventsTest extends BridgeTest {

    static final String API_KEY = "fp_v2_key_for_tests_only";
    static final String ACCOUNT = "acc_tests_1";
    static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final Instant APPROVED_AT = Instant.parse("2026-11-30T10:15:00Z");
    private static final long PROMOTER_REWARD = 11;
    private static final long REFERRAL_REWARD = 12;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @BeforeEach
    void resetFirstPromoter() {
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(PROMOTER_REWARD, true, "credits", null, null, null),
                FirstPromoterStandIn.reward(REFERRAL_REWARD, false, "credits", null, null, null));
    }

    // ---- Building events and sending them.

    /** FirstPromoter's own approval example (docs: webhooks-v2/non-monetary-rewards.mdx) for this commission. */
    private static String approval(long id, String unit, Object amount) {
        return event("v2-docs-commission-approved.json", id, UUID.randomUUID().toString(), "commission.updated",
                List.of("pending", "approved"), unit, amount, APPROVED_AT);
    }

    private static String event(String sample, long id, String eventId, String eventType, List<String> statusChange, String unit,
            Object amount, Instant timestamp) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample(sample));
            root.put("event_id", eventId);
            root.put("event_type", eventType);
            root.put("entity_id", id);
            ObjectNode changes = root.putObject("changes");
            if (statusChange != null) {
                ArrayNode status = changes.putArray("status");
                statusChange.forEach(status::add);
            }
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", unit);
            data.set("amount", JSON.valueToTree(amount));
            if (timestamp == null) {
                root.remove("timestamp");
            } else {
                root.put("timestamp", timestamp.toString());
            }
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String withEventId(String event, String eventId) {
        return withTopLevel(event, "event_id", eventId);
    }

    private static String withTopLevel(String event, String field, String value) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(event);
            root.put(field, value);
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String denial(long id, Instant timestamp) {
        return event("v2-docs-commission-approved.json", id, UUID.randomUUID().toString(), "commission.updated",
                List.of("approved", "denied"), "credits", 20, timestamp);
    }

    private URI events() {
        return URI.create("http://127.0.0.1:" + port + "/webhooks/firstpromoter/events");
    }

    private List<HttpResponse<String>> postEventsAtOnce(List<String> bodies) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (String body : bodies) {
                answers.add(pool.submit(() -> {
                    start.await();
                    return postEvent(body);
                }));
            }
            start.countDown();
            List<HttpResponse<String>> results = new ArrayList<>();
            for (Future<HttpResponse<String>> answer : answers) {
                results.add(answer.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String assertEventAnswer(HttpResponse<String> response, int status, String outcome) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(response).get("outcome").asText()).as(response.body()).isEqualTo(outcome);
        return json(response).get("detail").asText();
    }

    /** A promoter's commission FirstPromoter's API knows, for a promoter with this cust_id. */
    private static void stubPromotersCommission(long id, String unit, long amount, long promoterId, String custId) {
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", unit, amount, promoterId,
                "promoter-" + promoterId + "@example.com", 99812L, "customer@example.com", "app-user-552", PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter-" + promoterId + "@example.com", custId);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
    }

    private String v2State(long id) {
        return jdbc.query("SELECT state FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, id);
    }

    private List<Map<String, Object>> ledger(long id) {
        return jdbc.queryForList("SELECT account, unit, amount, entry_kind FROM ledger_entries WHERE source = 'v2' AND fulfilment_id = ? "
                + "ORDER BY entry_id", id);
    }

    private BigDecimal balance(String account, String unit) {
        return jdbc.query("SELECT balance FROM credit_balances WHERE customer_ref = ? AND unit = ?",
                rs -> rs.next() ? rs.getBigDecimal(1) : BigDecimal.ZERO, account, unit);
    }

    private static List<LoggedRequest> stripePosts(String path) {
        return STRIPE.server().findAll(postRequestedFor(urlPathEqualTo(path)));
    }

    private static Map<String, String> formFields(LoggedRequest request) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : request.getBodyAsString().split("&")) {
            String[] kv = pair.split("=", 2);
            fields.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv.length > 1 ? kv[1] : "", StandardCharsets.UTF_8));
        }
        return fields;
    }

    /** mark_fulfilled calls FirstPromoter received for this commission, after the grant committed. */
    private void awaitMarkedFulfilledOnce(long id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !FIRSTPROMOTER.markFulfilled(id).isEmpty());
        // No second one can follow once the notice is no longer DUE: the notifier takes an attempt only of a DUE
        // row and marks it SENT (or GAVE_UP) after its call returned.
        await().atMost(Duration.ofSeconds(10)).until(() -> !"DUE".equals(jdbc.queryForObject(
                "SELECT firstpromoter_notice FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?", String.class, id)));
        List<LoggedRequest> calls = FIRSTPROMOTER.markFulfilled(id);
        assertThat(calls).hasSize(1);
        LoggedRequest call = calls.get(0);
        assertThat(call.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        assertThat(call.getHeader("Account-ID")).isEqualTo(ACCOUNT);
        // Alone, or with other commissions due at the same poll (five to a call at most).
        assertThat(FirstPromoterStandIn.idsOf(call)).contains(id).hasSizeLessThanOrEqualTo(5);
    }

    /**
     * Review: an approval that carries no timestamp (optional, docs/promises.md "timestamp, when present") was applied
     * before the one entry route; it must still be, not answered 500 on every retry with nothing recorded.
     */
    @Test
    void anApprovalWithoutATimestampIsStillBookedOnce() {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 20, promoterId, "app-user-" + promoterId);

        assertEventAnswer(postEvent(approvalAt(id, "credits", 20, null)), 200, "granted");
        assertThat(v2State(id)).isEqualTo("GRANTED");
    }

    // ---- Approvals of each unit.

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"credits", "points"})
    void anApprovedPromotersRewardIsBookedOnceAndMarkedFulfilled(String unit) {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, unit, 20, promoterId, "app-user-" + promoterId);

        String detail = assertEventAnswer(postEvent(approval(id, unit, 20)), 200, "granted");

        assertThat(detail).isEqualTo("credited 20 " + unit + " to app-user-" + promoterId);
        assertThat(ledger(id)).extracting(r -> r.get("account") + " " + ((BigDecimal) r.get("amount")).stripTrailingZeros().toPlainString())
                .containsExactlyInAnyOrder("app-user-" + promoterId + " 20", unit + " -20");
        assertThat(v2State(id)).isEqualTo("GRANTED");
        // The API was asked with the key and account, and nothing was written there but mark_fulfilled.
        assertThat(FIRSTPROMOTER.commissionReads(id)).hasSize(1).allSatisfy(read -> {
            assertThat(read.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
            assertThat(read.getHeader("Account-ID")).isEqualTo(ACCOUNT);
        });
        awaitMarkedFulfilledOnce(id);
    }

    @Test
    void aReferredCustomersRewardGoesToTheReferredCustomer() {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "credits", 15, promoterId,
                "promoter@example.com", 99812L, "customer@example.com", "app-user-" + id, REFERRAL_REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter@example.com", "promoter-cust-" + promoterId);

        assertThat(assertEventAnswer(postEvent(approval(id, "credits", 15)), 200, "granted")).isEqualTo("credited 15 credits to app-user-" + id);

        assertThat(balance("app-user-" + id, "credits")).isEqualByComparingTo("15");
        assertThat(balance("promoter-cust-" + promoterId, "credits")).isEqualByComparingTo("0");
    }

    @Test
    void freeMonthsAreGrantedInStripeWithTheCommissionsKeyAndMarker() {
        long id = nextId();
        long promoterId = nextId();
        String customer = "cus_v2_" + id;
        stubPromotersCommission(id, "free_months", 2, promoterId, customer);
        STRIPE.stubGrantableCustomer(customer, "sub_v2_" + id);

        assertEventAnswer(postEvent(approval(id, "free_months", 2)), 200, "granted");
        assertEventAnswer(postEvent(approval(id, "free_months", 2)), 200, "granted");

        List<LoggedRequest> updates = stripePosts("/v1/subscriptions/sub_v2_" + id);
        assertThat(updates).hasSize(1);
        assertThat(updates.get(0).getHeader("Idempotency-Key")).isEqualTo("commission-" + id);
        assertThat(formFields(updates.get(0))).containsEntry("metadata[firstpromoter_commission_id]", Long.toString(id))
                .doesNotContainKey("metadata[firstpromoter_fulfilment_id]").containsEntry("proration_behavior", "none")
                .containsKey("trial_end");
        assertThat(STRIPE.server().findAll(postRequestedFor(anyUrl()))).hasSize(1);
        awaitMarkedFulfilledOnce(id);
    }

    @Test
    void aFixedDiscountIsABalanceCreditWithTheCommissionsKey() {
        long id = nextId();
        long promoterId = nextId();
        String customer = "cus_v2_" + id;
        stubPromotersCommission(id, "mon_discount", 2500, promoterId, customer);
        STRIPE.stubGrantableCustomer(customer, "sub_v2_" + id);

        assertEventAnswer(postEvent(approval(id, "mon_discount", 2500)), 200, "granted");

        List<LoggedRequest> credits = stripePosts("/v1/customers/" + customer + "/balance_transactions");
        assertThat(credits).hasSize(1);
        assertThat(credits.get(0).getHeader("Idempotency-Key")).isEqualTo("commission-" + id);
        assertThat(formFields(credits.get(0))).containsEntry("amount", "-2500").containsEntry("currency", "usd")
                .containsEntry("metadata[firstpromoter_commission_id]", Long.toString(id));
    }

    // ---- Exactly once per commission, whatever the event.

    @Test
    void theSameApprovalAsUpdatedAsApprovedFiveTimesAndTwentyAtOnceIsOneGrantAndOneMarkFulfilled() throws Exception {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 30, promoterId, null);

        String updated = approval(id, "credits", 30);
        String approved = event("v2-docs-commission-approved.json", id, UUID.randomUUID().toString(), "commission.approved", null,
                "credits", 30, APPROVED_AT);
        List<String> bodies = new ArrayList<>(Collections.nCopies(10, updated));
        for (int i = 0; i < 10; i++) {
            bodies.add(withEventId(approved, UUID.randomUUID().toString()));
        }
        List<HttpResponse<String>> atOnce = postEventsAtOnce(bodies);
        List<HttpResponse<String>> inARow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inARow.add(postEvent(i % 2 == 0 ? updated : approved));
        }

        for (HttpResponse<String> answer : atOnce) {
            // 503 is allowed while another copy applies it; never a second grant.
            assertThat(answer.statusCode()).as(answer.body()).isIn(200, 503);
        }
        assertThat(atOnce).anySatisfy(a -> assertThat(a.statusCode()).isEqualTo(200));
        for (HttpResponse<String> answer : inARow) {
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(json(answer).get("outcome").asText()).isEqualTo("granted");
        }
        assertThat(ledger(id)).hasSize(2);
        assertThat(balance("fp-promoter:" + promoterId, "credits")).isEqualByComparingTo("30");
        awaitMarkedFulfilledOnce(id);
    }

    @Test
    void anEventAnswered503IsAppliedWhenSentAgainAndAReSentEventIsAnsweredFromTheLog() {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommissionAnswer(id, FirstPromoterStandIn.error(503, "Service Unavailable", "unavailable"));
        String event = approval(id, "credits", 12);

        String down = assertEventAnswer(postEvent(event), 503, "retry");

        assertThat(down).doesNotContain(API_KEY);
        assertThat(ledger(id)).isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM commission_events WHERE commission_id = ?", Integer.class, id)).isZero();

        stubPromotersCommission(id, "credits", 12, promoterId, null);
        assertEventAnswer(postEvent(event), 200, "granted");
        String again = assertEventAnswer(postEvent(event), 200, "granted");

        assertThat(again).startsWith("event " + eventIdOf(event) + " was answered before: credited 12 credits");
        // Answered from the log: FirstPromoter's API was not asked again (one read answered 503, one applied it).
        assertThat(FIRSTPROMOTER.commissionReads(id)).hasSize(2);
        assertThat(ledger(id)).hasSize(2);
    }

    private static String eventIdOf(String event) {
        try {
            return JSON.readTree(event).get("event_id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void anApprovalTheApiCouldNotResolveIsListedAsStuckAndAnOperatorsReplayAppliesIt() throws Exception {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommissionAnswer(id, FirstPromoterStandIn.error(503, "Service Unavailable", "unavailable"));

        assertEventAnswer(postEvent(approval(id, "credits", 9)), 503, "retry");

        assertThat(v2State(id)).isEqualTo("RECEIVED");
        assertThat(ledger(id)).isEmpty();
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        // No retry comes: after bridge.stuck-after (1 s here) an operator sees it.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat((String[]) jmx.getAttribute(parkedFulfilmentsMBean(), "Parked"))
                .anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " credits").contains("stuck")));

        stubPromotersCommission(id, "credits", 9, promoterId, "app-user-" + promoterId);
        String replayed = (String) jmx.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {"v2", id},
                new String[] {String.class.getName(), long.class.getName()});

        assertThat(JSON.readTree(replayed).path("outcome").asText()).as(replayed).isEqualTo("granted");
        assertThat(balance("app-user-" + promoterId, "credits")).isEqualByComparingTo("9");
        assertThat(v2State(id)).isEqualTo("GRANTED");
        awaitMarkedFulfilledOnce(id);
    }

    @Test
    void thePromotersApiDownAppliesNothing() {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "credits", 5, promoterId,
                "promoter@example.com", null, null, null, PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoterAnswer(promoterId, FirstPromoterStandIn.error(503, "Service Unavailable", "unavailable"));

        assertEventAnswer(postEvent(approval(id, "credits", 5)), 503, "retry");

        assertThat(ledger(id)).isEmpty();
        // Kept, its lease run out, to be listed as stuck if FirstPromoter never sends it again.
        assertThat(jdbc.queryForMap("SELECT state, lease_holder FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?", id))
                .containsEntry("state", "RECEIVED").containsEntry("lease_holder", null);
    }

    @Test
    void aCommissionIdEqualToAnEarlierLegacyPayoutIdIsAppliedToo() {
        long id = nextId();
        long promoterId = nextId();
        // A legacy bridge's fulfilment of the same number, written before this bridge took webhooks v2.
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, unit, amount, promoter_id, state, created_at, updated_at)
                VALUES ('v1', ?, 'credits', 20, 1, 'GRANTED', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""", id);
        stubPromotersCommission(id, "credits", 20, promoterId, null);

        assertEventAnswer(postEvent(approval(id, "credits", 20)), 200, "granted");

        assertThat(jdbc.queryForList("SELECT source, state FROM fulfilments WHERE fulfilment_id = ? ORDER BY source", id))
                .containsExactly(Map.of("source", "v1", "state", "GRANTED"), Map.of("source", "v2", "state", "GRANTED"));
        assertThat(ledger(id)).hasSize(2);
    }

    // ---- Denials, in both orders of arrival.

    @Test
    void aDenialAfterTheApprovalReversesTheCreditsOnce() {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 40, promoterId, null);
        String account = "fp-promoter:" + promoterId;
        assertEventAnswer(postEvent(approval(id, "credits", 40)), 200, "granted");

        String reversed = assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(3600))), 200, "reversed");
        String again = assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(7200))), 200, "reversed");

        assertThat(reversed).contains("two ledger entries opposite to the grant's");
        assertThat(again).contains("reversed before");
        assertThat(ledger(id)).extracting(r -> r.get("entry_kind")).containsExactly("GRANT", "GRANT", "REVERSAL", "REVERSAL");
        assertThat(balance(account, "credits")).isEqualByComparingTo("0");
        assertThat(jdbc.queryForObject("SELECT SUM(amount) FROM ledger_entries", BigDecimal.class)).isEqualByComparingTo("0");
        assertThat(v2State(id)).isEqualTo("REVERSED");
        // The first approval delivered late, older than the denial: nothing changed, not listed.
        assertThat(assertEventAnswer(postEvent(approval(id, "credits", 40)), 202, "ignored")).contains("older than the newest decision");
        // Approved again after the reversal (a newer event): listed for an operator, not applied.
        assertEventAnswer(postEvent(approvalAt(id, "credits", 40, APPROVED_AT.plusSeconds(3 * 3600))), 202, "parked");
        assertThat(ledger(id)).hasSize(4);
    }

    @Test
    void aDenialThatArrivesBeforeAnOlderApprovalKeepsItFromBeingApplied() {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 40, promoterId, null);

        assertThat(assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(60))), 200, "reversed")).contains("denial recorded");
        String late = assertEventAnswer(postEvent(approval(id, "credits", 40)), 202, "ignored");

        assertThat(late).contains("was denied by FirstPromoter at " + APPROVED_AT.plusSeconds(60));
        assertThat(ledger(id)).isEmpty();
        assertThat(v2State(id)).isEqualTo("DENIED");
        // Approved again after the denial (a newer event): applied.
        String reApproved = event("v2-docs-commission-approved.json", id, UUID.randomUUID().toString(), "commission.approved", null,
                "credits", 40, APPROVED_AT.plusSeconds(120));
        assertEventAnswer(postEvent(reApproved), 200, "granted");
        assertThat(ledger(id)).hasSize(2);
    }

    @Test
    void aStripeRewardDeniedAfterItWasAppliedIsListedForReviewAndStripeIsLeftAlone() {
        long id = nextId();
        long promoterId = nextId();
        String customer = "cus_v2_" + id;
        stubPromotersCommission(id, "free_months", 1, promoterId, customer);
        STRIPE.stubGrantableCustomer(customer, "sub_v2_" + id);
        assertEventAnswer(postEvent(approval(id, "free_months", 1)), 200, "granted");
        int stripeCalls = STRIPE.server().getAllServeEvents().size();

        assertThat(assertEventAnswer(postEvent(withTopLevel(denial(id, APPROVED_AT.plusSeconds(60)), "event_type", "commission.deleted")),
                200, "reversed")).contains("Stripe not changed");

        assertThat(STRIPE.server().getAllServeEvents()).hasSize(stripeCalls);
        assertThat(jdbc.queryForMap("SELECT state, reason FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?", id))
                .containsEntry("state", "REVERSED")
                .containsEntry("reason", "reversed by FirstPromoter after it was applied in Stripe: review the customer");
    }

    // ---- The newest decision wins, whatever the record's state (docs/promises.md, Webhooks v2 events).

    private static String approvalAt(long id, String unit, Object amount, Instant at) {
        return event("v2-docs-commission-approved.json", id, UUID.randomUUID().toString(), "commission.approved", null, unit, amount, at);
    }

    private String[] parkedLines() throws Exception {
        return (String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(parkedFulfilmentsMBean(), "Parked");
    }

    @Test
    void anApprovalStampedFinerThanTheDatabaseKeepsIsAppliedWhenSentAgainAfterA503() {
        long id = nextId();
        long promoterId = nextId();
        String customer = "cus_v2_" + id;
        stubPromotersCommission(id, "free_months", 1, promoterId, customer);
        STRIPE.stubError("GET", "/v1/customers/" + customer, 503, "try again");
        // Nanoseconds the database rounds to microseconds: the stored time must not outrank the event itself.
        String approval = approvalAt(id, "free_months", 1, APPROVED_AT.plusNanos(999));

        assertEventAnswer(postEvent(approval), 503, "retry");
        STRIPE.stubGrantableCustomer(customer, "sub_v2_" + id);
        assertEventAnswer(postEvent(approval), 200, "granted");

        assertThat(stripePosts("/v1/subscriptions/sub_v2_" + id)).hasSize(1);
        awaitMarkedFulfilledOnce(id);
    }

    @Test
    void aReApprovalOfAGrantedCommissionOutranksAnOlderDenialDeliveredLate() {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 40, promoterId, null);
        assertEventAnswer(postEvent(approvalAt(id, "credits", 40, APPROVED_AT)), 200, "granted");
        // Denied at +1 h, approved again at +2 h; the denial's first delivery failed and comes last.
        assertEventAnswer(postEvent(approvalAt(id, "credits", 40, APPROVED_AT.plusSeconds(7200))), 200, "granted");

        String late = assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(3600))), 202, "ignored");

        assertThat(late).contains("older than").contains(APPROVED_AT.plusSeconds(7200).toString());
        assertThat(v2State(id)).isEqualTo("GRANTED");
        assertThat(ledger(id)).extracting(r -> r.get("entry_kind")).containsExactly("GRANT", "GRANT");
        assertThat(balance("fp-promoter:" + promoterId, "credits")).isEqualByComparingTo("40");
    }

    @Test
    void anOlderApprovalOfAGrantedCommissionChangesNothing() {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 40, promoterId, null);
        assertEventAnswer(postEvent(approvalAt(id, "credits", 40, APPROVED_AT.plusSeconds(7200))), 200, "granted");

        String older = assertEventAnswer(postEvent(approvalAt(id, "credits", 40, APPROVED_AT)), 202, "ignored");

        assertThat(older).contains("older than");
        // A denial between the two is older than the newest decision too.
        assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(3600))), 202, "ignored");
        assertThat(v2State(id)).isEqualTo("GRANTED");
        assertThat(ledger(id)).hasSize(2);
    }

    @Test
    void aParkedApprovalIsNotDeniedByAnOlderDenialAndStaysListed() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.stubCommissionAbsent(id);
        assertEventAnswer(postEvent(approvalAt(id, "credits", 40, APPROVED_AT)), 202, "parked");

        String older = assertEventAnswer(postEvent(denial(id, APPROVED_AT.minusSeconds(3600))), 202, "ignored");

        assertThat(older).contains("older than");
        assertThat(v2State(id)).isEqualTo("PARKED");
        assertThat(parkedLines()).anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " credits").contains("PARKED"));
        // A newer denial is taken: denied, no longer listed.
        assertThat(assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(60))), 200, "reversed")).contains("denial recorded");
        assertThat(v2State(id)).isEqualTo("DENIED");
        assertThat(parkedLines()).noneMatch(line -> line.startsWith("v2 " + id + " "));
        assertThat(ledger(id)).isEmpty();
    }

    // ---- Every v2 grant is closed in FirstPromoter.

    @Test
    void aLostGrantSettledByAnotherGrantForTheSameCustomerIsMarkedFulfilled() {
        long lost = nextId();
        long next = nextId();
        String customer = "cus_v2_" + lost;
        String sub = "sub_v2_" + lost;
        stubPromotersCommission(lost, "free_months", 1, nextId(), customer);
        stubPromotersCommission(next, "free_months", 1, nextId(), customer);
        STRIPE.stubGrantableCustomer(customer, sub);
        long now = Instant.now().getEpochSecond();
        String plain = StripeStandIn.subscription(sub, customer, "active", now - 86_400, null,
                List.of(StripeStandIn.item(sub, 1000, 1, "usd", "month", 1, now + 86_400)));
        String path = "/v1/subscriptions/" + sub;
        // Stripe applies the first grant (its marker set) and the connection drops before its answer.
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(WireMock.aResponse()
                        .withFault(Fault.CONNECTION_RESET_BY_PEER))
                .willSetStateTo("applied"));
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost")
                .whenScenarioStateIs("applied").willReturn(WireMock.okJson(plain)));
        STRIPE.server().stubFor(WireMock.get(urlPathEqualTo(path))
                .willReturn(WireMock.okJson(plain.replaceFirst("\"metadata\":\\{\\}",
                        "\"metadata\":{\"firstpromoter_commission_id\":\"" + lost + "\"}"))));

        assertEventAnswer(postEvent(approval(lost, "free_months", 1)), 503, "retry");
        assertThat(v2State(lost)).isEqualTo("RECEIVED");

        // The next grant to the same customer settles the lost one first: it had taken effect.
        assertEventAnswer(postEvent(approval(next, "free_months", 1)), 200, "granted");

        assertThat(v2State(lost)).isEqualTo("GRANTED");
        assertThat(stripePosts(path)).hasSize(2);
        awaitMarkedFulfilledOnce(next);
        awaitMarkedFulfilledOnce(lost);
    }

    // ---- A denial of a stuck approval.

    @Test
    void aDenialOfAnApprovalStuckBeforeAnySendIsTakenAndTheApprovalLeavesTheStuckList() throws Exception {
        long id = nextId();
        FIRSTPROMOTER.stubCommissionAnswer(id, FirstPromoterStandIn.error(503, "Service Unavailable", "unavailable"));
        assertEventAnswer(postEvent(approval(id, "credits", 9)), 503, "retry");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(parkedLines())
                .anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " credits").contains("stuck")));

        String denied = assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(60))), 200, "reversed");

        assertThat(denied).contains("denial recorded");
        assertThat(v2State(id)).isEqualTo("DENIED");
        assertThat(parkedLines()).noneMatch(line -> line.startsWith("v2 " + id + " "));
        assertThat(ledger(id)).isEmpty();
    }

    @Test
    void anApprovalTheApiThenSaysIsDeniedLeavesTheStuckList() throws Exception {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommissionAnswer(id, FirstPromoterStandIn.error(503, "Service Unavailable", "unavailable"));
        String approval = approval(id, "credits", 9);
        assertEventAnswer(postEvent(approval), 503, "retry");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(parkedLines())
                .anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " credits").contains("stuck")));
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "denied", "credits", 9, promoterId,
                "promoter@example.com", null, null, null, PROMOTER_REWARD));

        assertThat(assertEventAnswer(postEvent(approval), 202, "ignored")).contains("denied");

        assertThat(v2State(id)).isEqualTo("DENIED");
        assertThat(parkedLines()).noneMatch(line -> line.startsWith("v2 " + id + " "));
        assertThat(ledger(id)).isEmpty();
    }

    @Test
    void aDenialOfAnApprovalStuckAfterAStripeSendWhoseAnswerWasLostWaitsOutTheFenceThenReversesAndLists() throws Exception {
        long id = nextId();
        String customer = "cus_v2_" + id;
        String path = "/v1/subscriptions/sub_v2_" + id;
        stubPromotersCommission(id, "free_months", 1, nextId(), customer);
        STRIPE.stubGrantableCustomer(customer, "sub_v2_" + id);
        STRIPE.server().stubFor(WireMock.post(urlPathEqualTo(path))
                .willReturn(WireMock.aResponse()
                        .withFault(Fault.CONNECTION_RESET_BY_PEER)));
        assertEventAnswer(postEvent(approval(id, "free_months", 1)), 503, "retry");
        assertThat(v2State(id)).isEqualTo("RECEIVED");
        int stripeCalls = STRIPE.server().getAllServeEvents().size();

        // The send may still land: not taken yet.
        assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(60))), 503, "retry");
        assertThat(v2State(id)).isEqualTo("RECEIVED");

        // Past the time a lost send may still land: the grant may have happened, so it is reversed and listed.
        Timestamp longAgo = Timestamp.from(Instant.now().minus(Duration.ofMinutes(10)));
        jdbc.update("UPDATE billing_sends SET sent_at = ? WHERE source = 'v2' AND fulfilment_id = ?", longAgo, id);
        String reversed = assertEventAnswer(postEvent(denial(id, APPROVED_AT.plusSeconds(60))), 200, "reversed");

        assertThat(reversed).contains("review the customer");
        assertThat(jdbc.queryForMap("SELECT state, reason FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?", id))
                .containsEntry("state", "REVERSED");
        assertThat(parkedLines()).anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " free_months").contains("REVERSED")
                .contains("review the customer"));
        assertThat(STRIPE.server().getAllServeEvents()).hasSize(stripeCalls);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isEmpty();

        // The next grant to the same customer never completes the denied commission's lost grant.
        assertThat(jdbc.queryForList("SELECT state FROM billing_grants WHERE source = 'v2' AND fulfilment_id = ?", String.class, id))
                .containsExactly("SENT");
        long next = nextId();
        stubPromotersCommission(next, "free_months", 1, nextId(), customer);
        STRIPE.stubGrantableCustomer(customer, "sub_v2_" + id);
        assertEventAnswer(postEvent(approval(next, "free_months", 1)), 200, "granted");
        assertThat(stripePosts(path)).extracting(request -> request.getHeader("Idempotency-Key"))
                .containsExactly("commission-" + id, "commission-" + next);
        assertThat(v2State(id)).isEqualTo("REVERSED");
    }

    // ---- Not acted on.

    @Test
    void theTestDeliveryCashOtherUnitsAndOtherEventsAreIgnoredAndNothingIsAsked() {
        long id = nextId();
        int fulfilments = count("fulfilments");

        assertThat(assertEventAnswer(postEvent(sample("v2-test-delivery.json")), 202, "ignored")).contains("test delivery");
        assertThat(assertEventAnswer(postEvent(sample("v2-docs-promoter-created.json")), 202, "ignored")).contains("not about a commission");
        assertThat(assertEventAnswer(postEvent(sample("v2-docs-commission-cash.json")), 202, "ignored")).contains("FirstPromoter pays it");
        assertThat(assertEventAnswer(postEvent(approval(id, "airline_miles", 5)), 202, "ignored")).contains("not a reward unit");
        assertThat(assertEventAnswer(postEvent(sample("v2-docs-commission-created.json")), 202, "ignored"))
                .contains("neither an approval nor a denial");

        assertThat(count("fulfilments")).isEqualTo(fulfilments);
        // No read (other tests' mark_fulfilled calls may still be retried meanwhile).
        assertThat(FIRSTPROMOTER.requests()).noneMatch(request -> "GET".equals(request.getMethod().getName()));
    }

    @Test
    void theLegacyWebhookIsTheOtherKindOnAV2Bridge() {
        int fulfilments = count("fulfilments");

        String detail = assertEventAnswer(post(delivery("credits.json", nextId(), Map.of())), 202, "ignored");

        assertThat(detail).contains("bridge.firstpromoter.inbound is v2");
        assertThat(count("fulfilments")).isEqualTo(fulfilments);
    }

    @Test
    void malformedEventsAreRejectedWithTheirReason() {
        assertThat(assertEventAnswer(postEvent(withTopLevel(approval(nextId(), "credits", 5), "event_id", "")), 400, "rejected"))
                .contains("event_id is required");
        assertThat(assertEventAnswer(postEvent(approval(nextId(), "credits", "lots")), 400, "rejected")).contains("data.amount");
        assertThat(assertEventAnswer(postEvent(withTopLevel(approval(nextId(), "credits", 5), "timestamp", "soon")), 400, "rejected"))
                .contains("timestamp");
    }

    @Test
    void hostileEventsGetAClearAnswerAndChangeNothing() {
        long id = nextId();
        String deep = "{\"event_id\":\"e\",\"event_type\":\"commission.approved\",\"data\":" + "[".repeat(40) + "]".repeat(40) + "}";
        // Each with its own event_id, so none is answered from another's logged answer.
        Map<String, Integer> hostile = new java.util.LinkedHashMap<>();
        hostile.put(deep, 400);
        hostile.put(withTopLevel(approval(id, "credits", 5), "event_id", "x".repeat(5000)), 400);
        hostile.put(withTopLevel(approval(id, "credits", 5), "event_id", "evt\u0000nul"), 400);
        hostile.put(approval(id, "credits", 5).replace("\"amount\":5", "\"amount\":1e-64000000"), 400);
        hostile.put(approval(id, "credits", 5).replace("\"amount\":5", "\"amount\":-5"), 202);
        hostile.put(approval(id, "credits", 5).replace("\"id\":" + id + ",\"status\"", "\"id\":1.5,\"status\""), 400);
        hostile.put(approval(id, "credits", 5).replace("\"id\":" + id + ",\"status\"", "\"id\":99999999999999999999,\"status\""), 400);
        hostile.put(approval(id, "credits", 5).replace("\"changes\":{\"status\":[\"pending\",\"approved\"]}", "\"changes\":{\"status\":[1,{}]}"), 202);
        hostile.put("{\"event_id\":\"e1\",\"event_type\":{\"a\":1},\"data\":{\"id\":" + id + "}}", 400);
        hostile.put("{\"event_id\":\"e2\",\"event_type\":\"commission.approved\",\"data\":[1,2]}", 400);
        hostile.put("[]", 400);
        int fulfilments = count("fulfilments");
        int entries = count("ledger_entries");

        hostile.forEach((body, status) -> {
            HttpResponse<String> answer = postEvent(body);
            assertThat(answer.statusCode()).as(body.length() > 200 ? body.substring(0, 200) : body).isEqualTo(status);
            assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(json(answer).get("outcome").asText()).isIn("rejected", "ignored", "parked");
        });

        // The negative amount is an approval FirstPromoter's API knows nothing of: parked, never applied.
        assertThat(count("ledger_entries")).isEqualTo(entries);
        assertThat(count("fulfilments")).isLessThanOrEqualTo(fulfilments + 1);
    }

    @Test
    void camelNamedHeadersAndTheKeySteerNothing(CapturedOutput output) {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 7, promoterId, null);
        HttpResponse<String> response = send(HttpRequest.newBuilder(events())
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + SECRET)
                .header("CamelHttpResponseCode", "500")
                .header("camelsqlquery", "DELETE FROM ledger_entries")
                .header("CAMELBEANMETHODNAME", "reverse")
                .POST(HttpRequest.BodyPublishers.ofString(approval(id, "credits", 7))));

        assertEventAnswer(response, 200, "granted");
        assertThat(ledger(id)).hasSize(2);
        assertThat(count("ledger_entries")).isPositive();
        assertThat(output.getAll()).doesNotContain(API_KEY).doesNotContain("secret-setup-token");
    }
}
