package io.fulfilmentbridge.chargebee;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.changeTermEndPath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.fulfilmentbridge.FirstPromoterStandIn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Webhooks v2 commissions granted in Chargebee, black box: a grant whose answer was lost and that
 * another grant for the same customer settles is closed in FirstPromoter like any other; a denial of
 * an approval stuck after its send waits while the send may still land, then reverses and lists it
 * (docs/promises.md, Webhooks v2 events).
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=fp_v2_key_for_tests_only",
        "bridge.firstpromoter.account-id=acc_tests_1",
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.retry-backoff=200ms"})
class ChargebeeV2EventsTest extends ChargebeeBridgeSupport {

    private static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final Instant APPROVED_AT = Instant.parse("2026-11-30T10:15:00Z");
    private static final long REWARD = 21;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @BeforeEach
    void resetFirstPromoter() {
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(REWARD, true, "free_months", null, null, null));
    }

    private static String event(long id, String eventType, Instant at) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample("v2-docs-commission-approved.json"));
            root.put("event_id", UUID.randomUUID().toString());
            root.put("event_type", eventType);
            root.put("entity_id", id);
            root.putObject("changes");
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", "free_months");
            data.put("amount", 1);
            root.put("timestamp", at.toString());
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A promoter's one free month, for the Chargebee customer with this id. */
    private static void stubCommission(long id, String customerId) {
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "free_months", 1, promoterId,
                "promoter-" + promoterId + "@example.com", null, null, null, REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter-" + promoterId + "@example.com", customerId);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
    }

    /** Chargebee makes the first change but answers after the bridge's read timeout (2 s); later ones answer at once. */
    private static void stubFirstChangeAnswerLost(ObjectNode subscription) {
        String path = changeTermEndPath(subscription.get("id").asText());
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs(STARTED)
                .willReturn(okJson("{\"subscription\":" + subscription + "}").withFixedDelay(3500)).willSetStateTo("changed"));
        CHARGEBEE.server().stubFor(WireMock.post(urlPathEqualTo(path)).inScenario("lost").whenScenarioStateIs("changed")
                .willReturn(okJson("{\"subscription\":" + subscription + "}")));
    }

    private String v2State(long id) {
        return jdbc.query("SELECT state FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?",
                rs -> rs.next() ? rs.getString(1) : null, id);
    }

    private String[] parkedLines() throws Exception {
        return (String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(parkedFulfilmentsMBean(), "Parked");
    }

    @Test
    void aLostGrantSettledByAnotherGrantForTheSameCustomerIsMarkedFulfilledInFirstPromoter() {
        long lost = nextId();
        long next = nextId();
        String customer = customerId(lost);
        ObjectNode subscription = CHARGEBEE.stubGrantableCustomer(customer, subscriptionId(lost), "jane@example.org");
        stubFirstChangeAnswerLost(subscription);
        stubCommission(lost, customer);
        stubCommission(next, customer);

        assertAnswer(postEvent(event(lost, "commission.approved", APPROVED_AT)), 503, "retry");
        assertThat(grantState(lost)).isEqualTo("SENT");
        fenceOver();

        // The next grant to the same customer settles the lost one first.
        assertAnswer(postEvent(event(next, "commission.approved", APPROVED_AT)), 200, "granted");

        assertThat(v2State(lost)).isEqualTo("GRANTED");
        assertThat(grantState(lost)).isEqualTo("APPLIED");
        await().atMost(Duration.ofSeconds(10)).until(() -> !FIRSTPROMOTER.markFulfilled(next).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> !FIRSTPROMOTER.markFulfilled(lost).isEmpty());
        assertThat(FIRSTPROMOTER.markFulfilled(lost)).singleElement()
                .satisfies(call -> assertThat(FirstPromoterStandIn.idsOf(call)).contains(lost).hasSizeLessThanOrEqualTo(5));
    }

    @Test
    void aDenialOfAnApprovalStuckAfterALostSendWaitsWhileItMayLandThenReversesAndLists() throws Exception {
        long id = nextId();
        ObjectNode subscription = CHARGEBEE.stubGrantableCustomer(customerId(id), subscriptionId(id), "jane@example.org");
        stubFirstChangeAnswerLost(subscription);
        stubCommission(id, customerId(id));
        assertAnswer(postEvent(event(id, "commission.approved", APPROVED_AT)), 503, "retry");
        assertThat(grantState(id)).isEqualTo("SENT");
        int chargebeeCalls = chargebeeCalls().size();

        assertThat(assertAnswer(postEvent(event(id, "commission.denied", APPROVED_AT.plusSeconds(60))), 503, "retry"))
                .contains("may still land");
        assertThat(v2State(id)).isEqualTo("RECEIVED");

        // The key's first send long past may-land-for, as after a re-send: the latest lost request still fences the denial.
        assertThat(jdbc.update("UPDATE billing_grants SET key_sent_at = ? WHERE fulfilment_id = ?",
                Timestamp.from(Instant.now().minus(Duration.ofMinutes(3))), id)).isEqualTo(1);
        assertThat(assertAnswer(postEvent(event(id, "commission.denied", APPROVED_AT.plusSeconds(60))), 503, "retry"))
                .contains("may still land");

        ageGrant(id, Duration.ofMinutes(3));
        String reversed = assertAnswer(postEvent(event(id, "commission.denied", APPROVED_AT.plusSeconds(60))), 200, "reversed");

        assertThat(reversed).contains("chargebee").contains("review the customer");
        assertThat(v2State(id)).isEqualTo("REVERSED");
        assertThat(parkedLines()).anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " free_months").contains("REVERSED"));
        assertThat(chargebeeCalls()).hasSize(chargebeeCalls);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isEmpty();

        // The next grant to the same customer never completes the denied commission's lost grant.
        long next = nextId();
        stubCommission(next, customerId(id));
        assertAnswer(postEvent(event(next, "commission.approved", APPROVED_AT.plusSeconds(120))), 200, "granted");
        assertThat(CHARGEBEE.server().findAll(WireMock.postRequestedFor(urlPathEqualTo(changeTermEndPath(subscriptionId(id))))))
                .extracting(request -> request.getHeader("chargebee-idempotency-key"))
                .containsExactly("commission-" + id, "commission-" + next);
        assertThat(v2State(id)).isEqualTo("REVERSED");
        assertThat(grantState(id)).isNull();
    }

    @Test
    void aDenialOfAnApprovalParkedBecauseItsLostChangeMayHaveLandedReversesAndListsIt() throws Exception {
        long id = nextId();
        ObjectNode subscription = CHARGEBEE.stubGrantableCustomer(customerId(id), subscriptionId(id), "jane@example.org");
        stubFirstChangeAnswerLost(subscription);
        stubCommission(id, customerId(id));
        assertAnswer(postEvent(event(id, "commission.approved", APPROVED_AT)), 503, "retry");
        // Past Chargebee's key window, the term end is where the change, or a renewal, would put it: no proof either way.
        CHARGEBEE.renew(subscription);
        ageGrant(id, Duration.ofMinutes(45));
        String parked = assertAnswer(postEvent(event(id, "commission.approved", APPROVED_AT)), 202, "parked");
        assertThat(parked).contains("may have granted it", "only an operator");
        assertThat(assertAnswer(postEvent(event(id, "commission.approved", APPROVED_AT.plusSeconds(30))), 202, "parked"))
                .isEqualTo(parked);
        int changes = CHARGEBEE.server().findAll(WireMock.postRequestedFor(urlPathEqualTo(changeTermEndPath(subscriptionId(id))))).size();

        String reversed = assertAnswer(postEvent(event(id, "commission.denied", APPROVED_AT.plusSeconds(60))), 200, "reversed");

        assertThat(reversed).contains("review the customer");
        assertThat(v2State(id)).isEqualTo("REVERSED");
        assertThat(parkedLines()).anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " free_months").contains("REVERSED"));
        assertThat(CHARGEBEE.server().findAll(WireMock.postRequestedFor(urlPathEqualTo(changeTermEndPath(subscriptionId(id))))))
                .hasSize(changes);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isEmpty();
    }
}
