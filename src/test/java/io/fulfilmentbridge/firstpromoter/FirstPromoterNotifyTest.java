package io.fulfilmentbridge.firstpromoter;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.StripeStandIn;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Contract section 8's loop closing: with FirstPromoter's v1 API key, a paid payout and a reward granted
 * by replay are told to FirstPromoter's API (a local stand-in) once, with bounded retries, by API v1's
 * payout update: a fulfilment_pending delivery's data.id is a v1 payout id. The v2 key is configured
 * too, to show that no v1 id ever reaches v2's mark_fulfilled.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "bridge.firstpromoter.v1-api-key=" + FirstPromoterNotifyTest.KEY,
        "bridge.firstpromoter.api-key=" + FirstPromoterNotifyTest.V2_KEY,
        "bridge.firstpromoter.account-id=" + FirstPromoterNotifyTest.ACCOUNT,
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.retry-backoff=200ms",
        "bridge.firstpromoter.max-attempts=" + FirstPromoterNotifyTest.MAX_ATTEMPTS})
class FirstPromoterNotifyTest extends BridgeTest {

    static final String KEY = "fp_test_v1_key";
    static final String V2_KEY = "fp_test_v2_key";
    /** API v1's payout status change, the call that closes a legacy reward. */
    static final String PAYOUT_UPDATE = "/api/v1/payouts/update";
    /** API v2's call for commissions; a v1 payout id sent there would close another reward. */
    static final String MARK_FULFILLED = "/api/v2/company/commissions/mark_fulfilled";
    static final String ACCOUNT = "acc_test_account";
    static final int MAX_ATTEMPTS = 4;
    /** Long enough for several polls and backoffs: what has not been sent by then is not sent. */

    private static final WireMockServer FIRSTPROMOTER =
            new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    static {
        FIRSTPROMOTER.start();
    }

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.v1-api-base", () -> "http://127.0.0.1:" + FIRSTPROMOTER.port());
        registry.add("bridge.firstpromoter.api-base", () -> "http://127.0.0.1:" + FIRSTPROMOTER.port());
    }

    @AfterAll
    static void stopFirstPromoter() {
        FIRSTPROMOTER.stop();
    }

    @Autowired
    private JmsTemplate jms;

    private static final long FIRST_OWN_ID = nextId();

    @BeforeEach
    void firstPromoterMarksWhatItIsAsked() {
        forgetNoticesOfEarlierClasses(FIRST_OWN_ID);
        FIRSTPROMOTER.resetAll();
        FIRSTPROMOTER.stubFor(WireMock.any(anyUrl()).atPriority(20).willReturn(aResponse().withStatus(404)));
        FIRSTPROMOTER.stubFor(WireMock.put(urlPathEqualTo(PAYOUT_UPDATE)).atPriority(10).willReturn(completed()));
    }

    @AfterEach
    void onlyV1PayoutUpdatesWereSent() {
        assertThat(FIRSTPROMOTER.findAll(anyRequestedFor(urlPathEqualTo(MARK_FULFILLED)))).isEmpty();
        for (LoggedRequest request : FIRSTPROMOTER.findAll(anyRequestedFor(anyUrl()))) {
            assertThat(request.getMethod().getName() + " " + request.getUrl()).matches("PUT " + PAYOUT_UPDATE + "\\?id=\\d+&status=completed");
        }
    }

    @Test
    void aPaidPayoutIsCompletedOnceThroughApiV1WithTheV1KeyAndThePayoutId() {
        long id = queuedPayout();
        assertThat(notices(id)).as("queued is not fulfilled").isEmpty();

        sendResult(id, "paid");
        await().atMost(Duration.ofSeconds(10)).until(() -> notices(id).size() == 1);
        LoggedRequest notice = notices(id).get(0);
        assertThat(notice.getMethod().getName()).isEqualTo("PUT");
        assertThat(notice.getUrl()).isEqualTo(PAYOUT_UPDATE + "?id=" + id + "&status=completed");
        assertThat(notice.queryParameter("id").values()).containsExactly(String.valueOf(id));
        assertThat(notice.queryParameter("status").values()).containsExactly("completed");
        assertThat(notice.getHeader("X-API-KEY")).isEqualTo(KEY);
        assertThat(notice.containsHeader("Authorization")).as("no v2 bearer token").isFalse();
        assertThat(notice.containsHeader("Account-ID")).isFalse();
        assertThat(notice.getBodyAsString()).isEmpty();

        noticeSettled(id);
        assertThat(notices(id)).hasSize(1);
        assertThat(noticeRow(id)).containsEntry("firstpromoter_notice", "SENT").containsEntry("firstpromoter_attempts", 1);
        assertThat(noticeRow(id).get("firstpromoter_notified_at")).isNotNull();
    }

    @Test
    void aRewardGrantedByReplayIsToldOnce() throws Exception {
        long id = nextId();
        String customer = "cus_fp" + id;
        STRIPE.stubError("GET", "/v1/customers/" + customer, 404, "No such customer: '" + customer + "'");
        assertThat(json(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer)))).get("outcome").asText())
                .isEqualTo("parked");

        STRIPE.reset();
        STRIPE.stubCustomer(customer);
        String subscription = StripeStandIn.subscription("sub_fp" + id, customer, "active", 1_700_000_000L, null,
                List.of(StripeStandIn.item("fp" + id, 1000, 1, "usd", "month", 1, Instant.now().getEpochSecond() + 86_400)));
        STRIPE.stubSubscriptions(customer, subscription);
        STRIPE.stubSubscriptionUpdate("sub_fp" + id, subscription);
        JsonNode replayed = JSON.readTree(replay(id));
        assertThat(replayed.get("outcome").asText()).isEqualTo("granted");

        await().atMost(Duration.ofSeconds(10)).until(() -> notices(id).size() == 1);
        assertThat(notices(id).get(0).getHeader("X-API-KEY")).isEqualTo(KEY);
        // FirstPromoter firing it again is answered 200 from what was decided; nothing more is sent.
        assertThat(post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer))).statusCode()).isEqualTo(200);
        noticeSettled(id);
        assertThat(notices(id)).hasSize(1);
        assertThat(noticeRow(id)).containsEntry("firstpromoter_notice", "SENT");
    }

    @Test
    void whatADeliveryAnswered200IsNotToldAgain() {
        long credits = nextId();
        assertThat(post(delivery("credits.json", credits, Map.of())).statusCode()).isEqualTo(200);
        long parked = nextId();
        assertThat(json(post(delivery("credits.json", parked, Map.of("amount", -5)))).get("outcome").asText())
                .isEqualTo("parked");

        noticeSettled(credits);
        noticeSettled(parked);
        assertThat(notices(credits)).isEmpty();
        assertThat(notices(parked)).isEmpty();
        assertThat(noticeRow(credits).get("firstpromoter_notice")).isNull();
        assertThat(noticeRow(parked).get("firstpromoter_notice")).isNull();
    }

    @Test
    void twoServerErrorsAreRetriedThenTheNoticeStops() {
        long id = queuedPayout();
        String scenario = "flaky-" + id;
        stubFor(id, scenario, STARTED, "failed once", aResponse().withStatus(500));
        stubFor(id, scenario, "failed once", "failed twice", aResponse().withStatus(500));
        stubFor(id, scenario, "failed twice", "marked", completed());

        sendResult(id, "paid");
        await().atMost(Duration.ofSeconds(10)).until(() -> notices(id).size() == 3);
        noticeSettled(id);
        assertThat(notices(id)).hasSize(3);
        assertThat(noticeRow(id)).containsEntry("firstpromoter_notice", "SENT").containsEntry("firstpromoter_attempts", 3);
    }

    @Test
    void aDeadApiIsGivenUpAfterTheLastAttemptAndTheKeyStaysOut(CapturedOutput output) {
        long id = queuedPayout();
        FIRSTPROMOTER.stubFor(WireMock.put(urlPathEqualTo(PAYOUT_UPDATE)).atPriority(1)
                .withQueryParam("id", equalTo(String.valueOf(id)))
                .willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":\"Invalid API key " + KEY + "\"}")));

        sendResult(id, "paid");
        await().atMost(Duration.ofSeconds(15)).until(() -> "GAVE_UP".equals(noticeRow(id).get("firstpromoter_notice")));
        noticeSettled(id);
        assertThat(notices(id)).hasSize(MAX_ATTEMPTS);
        assertThat(noticeRow(id)).containsEntry("firstpromoter_attempts", MAX_ATTEMPTS);
        assertThat(state(id)).isEqualTo("PAID");
        assertThat(output.getAll()).contains("gave up telling FirstPromoter that fulfilment " + id).doesNotContain(KEY);
        for (Map<String, Object> row : jdbc.queryForList("SELECT * FROM fulfilments")) {
            assertThat(row.toString()).doesNotContain(KEY);
        }
    }

    @Test
    void aPayoutFirstPromoterDoesNotKnowIsGivenUpAtOnce() {
        long id = queuedPayout();
        FIRSTPROMOTER.stubFor(WireMock.put(urlPathEqualTo(PAYOUT_UPDATE)).atPriority(1)
                .withQueryParam("id", equalTo(String.valueOf(id)))
                .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":\"Payment not found\"}")));

        sendResult(id, "paid");
        await().atMost(Duration.ofSeconds(10)).until(() -> "GAVE_UP".equals(noticeRow(id).get("firstpromoter_notice")));
        noticeSettled(id);
        assertThat(notices(id)).hasSize(1);
        assertThat(noticeRow(id)).containsEntry("firstpromoter_attempts", 1);
    }

    /** API v1's answer: the payout object, now completed (abridged). */
    private static ResponseDefinitionBuilder completed() {
        return okJson("{\"id\":2710287,\"status\":\"completed\",\"amount\":3000,\"date_paid\":null,\"unit\":\"cash\","
                + "\"has_issues\":false,\"reward\":null,\"promoter\":{\"id\":8262622,\"cust_id\":\"\"}}");
    }

    private static void stubFor(long id, String scenario, String state, String next, ResponseDefinitionBuilder answer) {
        FIRSTPROMOTER.stubFor(WireMock.put(urlPathEqualTo(PAYOUT_UPDATE)).atPriority(1)
                .withQueryParam("id", equalTo(String.valueOf(id)))
                .inScenario(scenario).whenScenarioStateIs(state).willSetStateTo(next)
                .willReturn(answer));
    }

    /** The calls FirstPromoter's stand-in received for this fulfilment. */
    private static List<LoggedRequest> notices(long id) {
        return FIRSTPROMOTER.findAll(putRequestedFor(urlPathEqualTo(PAYOUT_UPDATE))
                .withQueryParam("id", equalTo(String.valueOf(id))));
    }

    /** A cash fulfilment answered queued (202): FirstPromoter keeps it pending. */
    private long queuedPayout() {
        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        return id;
    }

    private void sendResult(long id, String status) {
        String result = "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"" + status + "\",\"reference\":\"po_" + id + "\"}";
        jms.send("payouts.results", session -> session.createTextMessage(result));
    }

    private String replay(long id) throws Exception {
        ObjectName bridge = parkedFulfilmentsMBean();
        return (String) ManagementFactory.getPlatformMBeanServer()
                .invoke(bridge, "replay", new Object[] {id}, new String[] {"long"});
    }

    private Map<String, Object> noticeRow(long id) {
        return jdbc.queryForMap("""
                SELECT firstpromoter_notice, firstpromoter_attempts, firstpromoter_notified_at
                FROM fulfilments WHERE fulfilment_id = ?""", id);
    }

    /**
     * Waits until nothing more can be sent for this notice: the notifier takes an attempt only of a row whose
     * notice is DUE, counting it before its call, and marks it SENT or GAVE_UP after the call returned. Once
     * the row is no longer DUE, every call made for it is at the stand-in and none can follow (proof, not a
     * quiet window).
     */
    private void noticeSettled(long id) {
        await().atMost(Duration.ofSeconds(15)).until(() -> !"DUE".equals(noticeRow(id).get("firstpromoter_notice")));
    }
}
