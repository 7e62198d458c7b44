package io.fulfilmentbridge.firstpromoter;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.FirstPromoterStandIn.ListShape;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.management.MBeanServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Webhooks v2 input the bridge must refuse, park or read in every shape FirstPromoter sends it, black
 * box: a v2 bridge over real HTTP, FirstPromoter's API a local stand-in. Asserted: the answer, the
 * fulfilments and commission_events rows, the ledger, and every request FirstPromoter received.
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=" + CommissionEventInputTest.API_KEY,
        "bridge.firstpromoter.account-id=acc_input_tests",
        "bridge.firstpromoter.poll-interval=100ms",
        // Each test's rewards list is read afresh.
        "bridge.firstpromoter.cache-ttl=1ms"})
class CommissionEventInputTest extends BridgeTest {

    static final String API_KEY = "fp_v2_key_for_input_tests";
    static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final Instant APPROVED_AT = Instant.parse("2026-11-30T10:15:00Z");
    private static final long PROMOTER_REWARD = 11;
    private static final long DISCOUNT_REWARD = 41;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @Autowired
    private DatabaseClock databaseClock;

    @BeforeEach
    void resetFirstPromoter() {
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(PROMOTER_REWARD, true, "credits", null, null, null));
    }

    // ---- Events and their answers.

    /** FirstPromoter's own approval example (docs: webhooks-v2/non-monetary-rewards.mdx) for this commission. */
    private static String approval(long id, String unit, Object amount, String timestamp) {
        return event(id, List.of("pending", "approved"), unit, amount, timestamp);
    }

    private static String denial(long id, String timestamp) {
        return event(id, List.of("approved", "denied"), "credits", 20, timestamp);
    }

    private static String event(long id, List<String> statusChange, String unit, Object amount, String timestamp) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample("v2-docs-commission-approved.json"));
            root.put("event_id", UUID.randomUUID().toString());
            root.put("entity_id", id);
            ArrayNode status = root.putObject("changes").putArray("status");
            statusChange.forEach(status::add);
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", unit);
            data.set("amount", JSON.valueToTree(amount));
            root.put("timestamp", timestamp);
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> postLegacy(String body, String secret) {
        return send(HttpRequest.newBuilder(webhook("token=" + secret))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String eventId(String event) {
        try {
            return JSON.readTree(event).get("event_id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A promoter's commission FirstPromoter's API knows, its lists in this shape. */
    private static void stubPromotersCommission(long id, String unit, long amount, long promoterId, long rewardId, ListShape shape) {
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", unit, amount, promoterId,
                "promoter-" + promoterId + "@example.com", null, null, null, rewardId), shape);
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter-" + promoterId + "@example.com", "app-user-" + promoterId);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
    }

    private static void awaitMarkedFulfilled(long id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !FIRSTPROMOTER.markFulfilled(id).isEmpty());
    }

    private Map<String, Object> v2Row(long id) {
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT state, reason, discount_duration FROM fulfilments "
                + "WHERE source = 'v2' AND fulfilment_id = ?", id);
        return rows.isEmpty() ? null : rows.get(0);
    }

    private int eventsLogged(String eventId) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM commission_events WHERE event_id = ?", Integer.class, eventId);
    }

    private List<Map<String, Object>> ledger(long id) {
        return jdbc.queryForList("SELECT account, amount FROM ledger_entries WHERE source = 'v2' AND fulfilment_id = ? ORDER BY entry_id", id);
    }

    // ---- Timestamps: absurd ones are the sender's error, and nothing is recorded or asked.

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"+999999999-01-01T00:00:00Z", "+300000-01-01T00:00:00Z", "9999-01-01T00:00:00Z",
            "2009-12-31T23:59:59Z", "1970-01-01T00:00:00Z"})
    void anAbsurdTimestampIsRejectedAndNothingIsRecordedOrAsked(String timestamp) {
        long approved = nextId();
        long denied = nextId();
        stubPromotersCommission(approved, "credits", 20, nextId(), PROMOTER_REWARD, ListShape.BARE_ARRAY);
        int fulfilments = count("fulfilments");
        String approval = approval(approved, "credits", 20, timestamp);
        String denial = denial(denied, timestamp);

        for (String event : List.of(approval, denial)) {
            String detail = assertAnswer(postEvent(event), 400, "rejected");
            assertThat(detail).startsWith("timestamp ").containsAnyOf("more than a day ahead", "before 2010-01-01");
            assertThat(eventsLogged(eventId(event))).as("no answer kept for the event").isZero();
        }
        assertThat(v2Row(approved)).isNull();
        assertThat(v2Row(denied)).isNull();
        assertThat(count("fulfilments")).isEqualTo(fulfilments);
        assertThat(ledger(approved)).isEmpty();
        assertThat(FIRSTPROMOTER.requests()).as("FirstPromoter's API is not asked").isEmpty();
    }

    @Test
    void aTimestampUpToADayAheadOfTheDatabasesClockIsTakenAndOneFurtherIsRejected() {
        long id = nextId();
        long promoterId = nextId();
        stubPromotersCommission(id, "credits", 20, promoterId, PROMOTER_REWARD, ListShape.BARE_ARRAY);
        Instant now = databaseClock.now();

        String detail = assertAnswer(postEvent(approval(id, "credits", 20, now.plus(Duration.ofHours(25)).toString())), 400, "rejected");
        assertThat(detail).contains("more than a day ahead of the database's clock");
        assertThat(v2Row(id)).isNull();
        assertThat(FIRSTPROMOTER.requests()).isEmpty();

        assertAnswer(postEvent(approval(id, "credits", 20, now.plus(Duration.ofHours(23)).toString())), 200, "granted");
        assertThat(ledger(id)).hasSize(2);
    }

    // ---- The other inbound kind: whatever its body.

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{not json", "[]", "{}", "{\"event\":{\"type\":\"fulfilment_pending\"},\"data\":{\"id\":\"x\"}}"})
    void aLegacyDeliveryIsTheOtherKindWhateverItsBody(String body) {
        int fulfilments = count("fulfilments");

        String detail = assertAnswer(postLegacy(body, SECRET), 202, "ignored");

        assertThat(detail).contains("bridge.firstpromoter.inbound is v2");
        assertThat(count("fulfilments")).isEqualTo(fulfilments);
        // The door's checks come first: a wrong secret is still refused.
        assertThat(postLegacy(body, "wrong-secret").statusCode()).isEqualTo(401);
    }

    // ---- Discount terms that cannot be stored or applied: parked when read, and replayed without a failure.

    @ParameterizedTest(name = "duration_in_months {0}")
    @CsvSource(delimiter = '|', value = {
            "null     | is missing or not a whole number",
            "\"three\" | is missing or not a whole number",
            "2.5      | is missing or not a whole number",
            "0        | 0 is not from 1 to 36",
            "-3       | -3 is not from 1 to 36",
            "37       | 37 is not from 1 to 36",
            "99999999999 | is missing or not a whole number"})
    void aRepeatingDiscountWithoutUsableMonthsIsParkedWhenReadAndReplayedWithoutAFailure(String months, String why) throws Exception {
        long id = nextId();
        long promoterId = nextId();
        String reward = FirstPromoterStandIn.reward(DISCOUNT_REWARD, true, "discount_per", null, "repeating", null)
                .replace("\"duration_in_months\":null", "\"duration_in_months\":" + months);
        FIRSTPROMOTER.stubRewards(reward);
        stubPromotersCommission(id, "discount_per", 15, promoterId, DISCOUNT_REWARD, ListShape.BARE_ARRAY);
        String expected = "FirstPromoter's reward " + DISCOUNT_REWARD + " is a repeating discount whose duration_in_months " + why;

        String detail = assertAnswer(postEvent(approval(id, "discount_per", 15, APPROVED_AT.toString())), 202, "parked");

        assertThat(detail).contains(expected);
        assertThat(v2Row(id)).containsEntry("state", "PARKED");
        assertThat((String) v2Row(id).get("reason")).contains(expected);
        assertThat(STRIPE.server().getAllServeEvents()).as("Stripe is not asked").isEmpty();
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        assertThat((String[]) jmx.getAttribute(parkedFulfilmentsMBean(), "Parked"))
                .anySatisfy(line -> assertThat(line).startsWith("v2 " + id + " discount_per").contains(expected));

        String replayed = (String) jmx.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {"v2", id},
                new String[] {String.class.getName(), long.class.getName()});

        assertThat(JSON.readTree(replayed).path("outcome").asText()).as(replayed).isEqualTo("parked");
        assertThat(JSON.readTree(replayed).path("detail").asText()).contains(expected);
        assertThat(v2Row(id)).containsEntry("state", "PARKED");
        assertThat(STRIPE.server().getAllServeEvents()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a duration FirstPromoter's schema does not have | weekly-until-the-end-of-the-promotion-period | | "
                    + "discount whose duration weekly-until-the-end-of-the-prom is not once, forever or repeating",
            "a provider coupon id longer than its column | forever | 300 | "
                    + "discount whose provider_coupon_id is longer than 255 characters or holds a NUL character"})
    void aRewardWhoseTermsNoColumnHoldsIsParkedWhenRead(String what, String duration, Integer couponLength, String why) throws Exception {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(DISCOUNT_REWARD, true, "discount_per",
                couponLength == null ? null : "c".repeat(couponLength), duration, null));
        stubPromotersCommission(id, "discount_per", 15, promoterId, DISCOUNT_REWARD, ListShape.BARE_ARRAY);

        String detail = assertAnswer(postEvent(approval(id, "discount_per", 15, APPROVED_AT.toString())), 202, "parked");

        assertThat(detail).contains("FirstPromoter's reward " + DISCOUNT_REWARD + " is a " + why);
        assertThat(v2Row(id)).containsEntry("state", "PARKED");
        assertThat(STRIPE.server().getAllServeEvents()).isEmpty();
        String replayed = (String) ManagementFactory.getPlatformMBeanServer().invoke(parkedFulfilmentsMBean(), "replay",
                new Object[] {"v2", id}, new String[] {String.class.getName(), long.class.getName()});
        assertThat(JSON.readTree(replayed).path("outcome").asText()).as(replayed).isEqualTo("parked");
    }

    @Test
    void aParkedDiscountIsAppliedOnceByItsReplayAfterFirstPromotersRewardIsFixed() throws Exception {
        long id = nextId();
        long promoterId = nextId();
        String customer = "cus_input_" + id;
        String subscription = "sub_input_" + id;
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(DISCOUNT_REWARD, true, "discount_per", null, "repeating", null));
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "discount_per", 15, promoterId,
                "promoter@example.com", null, null, null, DISCOUNT_REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter@example.com", customer);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
        STRIPE.stubGrantableCustomer(customer, subscription);
        assertAnswer(postEvent(approval(id, "discount_per", 15, APPROVED_AT.toString())), 202, "parked");
        assertThat(STRIPE.server().getAllServeEvents()).isEmpty();

        // FirstPromoter's reward now names its provider coupon, which Stripe has.
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(DISCOUNT_REWARD, true, "discount_per", "fp_fixed", "forever", null));
        STRIPE.server().stubFor(get(urlPathEqualTo("/v1/coupons/fp_fixed")).willReturn(okJson(
                "{\"id\":\"fp_fixed\",\"object\":\"coupon\",\"percent_off\":15,\"duration\":\"forever\",\"valid\":true}")));
        String replayed = (String) ManagementFactory.getPlatformMBeanServer().invoke(parkedFulfilmentsMBean(), "replay",
                new Object[] {"v2", id}, new String[] {String.class.getName(), long.class.getName()});

        assertThat(JSON.readTree(replayed).path("outcome").asText()).as(replayed).isEqualTo("granted");
        List<LoggedRequest> updates = STRIPE.server().findAll(postRequestedFor(urlPathEqualTo("/v1/subscriptions/" + subscription)));
        assertThat(updates).hasSize(1);
        assertThat(form(updates.get(0))).containsEntry("discounts[0][coupon]", "fp_fixed")
                .containsEntry("metadata[firstpromoter_commission_id]", Long.toString(id));
        assertThat(v2Row(id)).containsEntry("state", "GRANTED");
        awaitMarkedFulfilled(id);
    }

    @Test
    void aRowAnEarlierVersionStoredAsRepeatingNullIsReplayedWithoutAFailure() throws Exception {
        long id = nextId();
        long promoterId = nextId();
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, event_id, unit, amount, amount_received, promoter_id, state, reason,
                    discount_duration, created_at, updated_at)
                VALUES ('v2', ?, 'evt-old', 'discount_per', 15, '15', ?, 'PARKED', 'the reward''s discount duration (repeating) is not one '
                    || 'a Stripe coupon can have', 'repeating-null', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""", id, promoterId);
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(DISCOUNT_REWARD, true, "discount_per", null, "repeating", null));
        stubPromotersCommission(id, "discount_per", 15, promoterId, DISCOUNT_REWARD, ListShape.BARE_ARRAY);
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

        String replayed = (String) jmx.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {"v2", id},
                new String[] {String.class.getName(), long.class.getName()});

        assertThat(JSON.readTree(replayed).path("outcome").asText()).as(replayed).isEqualTo("parked");
        assertThat(JSON.readTree(replayed).path("detail").asText()).contains("duration_in_months is missing or not a whole number");
        assertThat(v2Row(id)).containsEntry("state", "PARKED");
        assertThat(FIRSTPROMOTER.commissionReads(id)).hasSize(1);
    }

    // ---- FirstPromoter's lists in both shapes.

    @ParameterizedTest(name = "commissions {0}, rewards {1}")
    @CsvSource({"BARE_ARRAY, BARE_ARRAY", "DATA_AND_META, BARE_ARRAY", "BARE_ARRAY, DATA_AND_META", "DATA_AND_META, DATA_AND_META"})
    void anApprovalIsAppliedWhateverShapeFirstPromotersListsComeIn(ListShape commissions, ListShape rewards) {
        long id = nextId();
        long promoterId = nextId();
        long referralReward = 12;
        FIRSTPROMOTER.stubRewards(rewards, FirstPromoterStandIn.reward(PROMOTER_REWARD, true, "credits", null, null, null),
                FirstPromoterStandIn.reward(referralReward, false, "credits", null, null, null));
        // The referred customer's reward: applied to the referral only if the rewards list was read.
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "credits", 30, promoterId,
                "promoter@example.com", 99812L, "customer@example.com", "app-user-" + id, referralReward), commissions);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);

        String detail = assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 200, "granted");

        assertThat(detail).isEqualTo("credited 30 credits to app-user-" + id);
        assertThat(ledger(id)).extracting(r -> r.get("account") + " " + ((BigDecimal) r.get("amount")).stripTrailingZeros().toPlainString())
                .containsExactlyInAnyOrder("app-user-" + id + " 30", "credits -30");
        assertThat(v2Row(id)).containsEntry("state", "GRANTED");
        assertThat(FIRSTPROMOTER.commissionReads(id)).hasSize(1);
        assertThat(FIRSTPROMOTER.promoterReads(promoterId)).isEmpty();
    }
    // ---- FirstPromoter's rewards list, page by page.

    /** A referred customer's commission on this reward, its promoter known too (who would get it by the fallback). */
    private static void stubReferralsCommission(long id, long promoterId, long rewardId) {
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "credits", 30, promoterId,
                "promoter-" + promoterId + "@example.com", 99812L, "customer@example.com", "app-user-" + id, rewardId));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter-" + promoterId + "@example.com", "promoter-" + promoterId);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
    }

    /** Pages 1 to pages of 100 rewards each, all the promoter's, none the commission's, each answered after delayMillis. */
    private static void stubFullRewardsPages(int pages, int delayMillis) {
        for (int page = 1; page <= pages; page++) {
            FIRSTPROMOTER.stubRewardsPage(page, FirstPromoterStandIn.list(ListShape.BARE_ARRAY,
                    FirstPromoterStandIn.promoterRewards(100_000L + page * 100L, 100)), delayMillis);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare arrays", "data and meta", "data and meta paged by meta, 20 a page"})
    void aReferredCustomersRewardOnPageTwoOfTheRewardsGoesToTheReferredCustomer(String shape) {
        long id = nextId();
        long promoterId = nextId();
        long referralReward = 12;
        String onPageTwo = FirstPromoterStandIn.reward(referralReward, false, "credits", null, null, null);
        String alsoOnPageTwo = FirstPromoterStandIn.reward(7_000, true, "credits", null, null, null);
        switch (shape) {
            case "bare arrays" -> {
                FIRSTPROMOTER.stubRewardsPage(1, FirstPromoterStandIn.list(ListShape.BARE_ARRAY,
                        FirstPromoterStandIn.promoterRewards(5_000, 100)), 0);
                FIRSTPROMOTER.stubRewardsPage(2, FirstPromoterStandIn.list(ListShape.BARE_ARRAY, alsoOnPageTwo, onPageTwo), 0);
            }
            case "data and meta" -> {
                FIRSTPROMOTER.stubRewardsPage(1, FirstPromoterStandIn.list(ListShape.DATA_AND_META,
                        FirstPromoterStandIn.promoterRewards(5_000, 100)), 0);
                FIRSTPROMOTER.stubRewardsPage(2, FirstPromoterStandIn.list(ListShape.DATA_AND_META, alsoOnPageTwo, onPageTwo), 0);
            }
            default -> {
                // An API that pages by its own size: a page of 20 is not the last while meta says more follow.
                FIRSTPROMOTER.stubRewardsPage(1, FirstPromoterStandIn.listWithMeta("{\"current_page\":1,\"total_pages\":2}",
                        FirstPromoterStandIn.promoterRewards(5_000, 20)), 0);
                FIRSTPROMOTER.stubRewardsPage(2, FirstPromoterStandIn.listWithMeta("{\"current_page\":2,\"total_pages\":2}",
                        alsoOnPageTwo, onPageTwo), 0);
            }
        }
        stubReferralsCommission(id, promoterId, referralReward);

        String detail = assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 200, "granted");

        assertThat(detail).isEqualTo("credited 30 credits to app-user-" + id);
        assertThat(ledger(id)).extracting(r -> r.get("account") + " " + ((BigDecimal) r.get("amount")).stripTrailingZeros().toPlainString())
                .containsExactlyInAnyOrder("app-user-" + id + " 30", "credits -30");
        assertThat(FIRSTPROMOTER.promoterReads(promoterId)).as("the promoter's is not asked").isEmpty();
        assertThat(FIRSTPROMOTER.rewardsPagesAsked()).containsExactly("page=1 per_page=100", "page=2 per_page=100");
        awaitMarkedFulfilled(id);
    }

    @Test
    void aRewardsListThatKeepsAnsweringFullPagesIsReadFiftyPagesAndTheApprovalParked() {
        long id = nextId();
        long promoterId = nextId();
        stubFullRewardsPages(60, 0);
        stubReferralsCommission(id, promoterId, 12);

        String detail = assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 202, "parked");

        assertThat(detail).contains("FirstPromoter's rewards list runs past 50 pages of 100")
                .contains("whose reward commission " + id + " is cannot be told");
        assertThat(v2Row(id)).containsEntry("state", "PARKED");
        assertThat(ledger(id)).isEmpty();
        assertThat(FIRSTPROMOTER.rewardsReads()).hasSize(50);
        assertThat(FIRSTPROMOTER.markFulfilled(id)).isEmpty();
    }

    @Test
    void aReferredCustomersRewardOnPageThreeOfALongListIsReadWithoutTheRestOfTheList() {
        long id = nextId();
        long promoterId = nextId();
        stubFullRewardsPages(60, 0);
        String[] pageThree = FirstPromoterStandIn.promoterRewards(900_000, 100);
        pageThree[57] = FirstPromoterStandIn.reward(12, false, "credits", null, null, null);
        FIRSTPROMOTER.stubRewardsPage(3, FirstPromoterStandIn.list(ListShape.BARE_ARRAY, pageThree), 0);
        stubReferralsCommission(id, promoterId, 12);

        assertThat(assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 200, "granted"))
                .isEqualTo("credited 30 credits to app-user-" + id);
        assertThat(FIRSTPROMOTER.rewardsPagesAsked()).containsExactly("page=1 per_page=100", "page=2 per_page=100", "page=3 per_page=100");
    }

    @Test
    void aRewardsListSlowerThanTheDeadlineIsAnswered503AndNothingApplied() {
        long id = nextId();
        long promoterId = nextId();
        // A second a page: the answer's 9 s run out long before page 20.
        stubFullRewardsPages(20, 1_000);
        stubReferralsCommission(id, promoterId, 12);

        HttpResponse<String> answer = postEvent(approval(id, "credits", 30, APPROVED_AT.toString()));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(ledger(id)).isEmpty();
        assertThat(FIRSTPROMOTER.rewardsReads().size()).isBetween(2, 19);
        assertThat(FIRSTPROMOTER.promoterReads(promoterId)).isEmpty();
    }

    @Test
    void anAnswerOfPagesRepeatingTheFirstIsParkedAsAListTheApiDoesNotPage() {
        long id = nextId();
        long promoterId = nextId();
        // Every page asked answers the same 100 rewards: the API does not page them.
        FIRSTPROMOTER.stubRewardsPage(1, FirstPromoterStandIn.list(ListShape.BARE_ARRAY, FirstPromoterStandIn.promoterRewards(5_000, 100)), 0);
        stubReferralsCommission(id, promoterId, 12);

        String detail = assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 202, "parked");

        assertThat(detail).contains("page 2 of FirstPromoter's rewards list repeats");
        assertThat(ledger(id)).isEmpty();
        assertThat(FIRSTPROMOTER.rewardsPagesAsked()).containsExactly("page=1 per_page=100", "page=2 per_page=100");
    }

    @Test
    void aRewardNotInAWholeUnpagedListOfMoreThanAPageIsThePromoters() {
        long id = nextId();
        long promoterId = nextId();
        // The rewards openapi file's list: not paged, all 150 rewards in every answer, per_page ignored.
        FIRSTPROMOTER.stubRewardsPage(1, FirstPromoterStandIn.list(ListShape.BARE_ARRAY, FirstPromoterStandIn.promoterRewards(5_000, 150)), 0);
        stubReferralsCommission(id, promoterId, 12);

        // The whole list was read and does not have reward 12: whose it is cannot be told, so it is the promoter's.
        assertThat(assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 200, "granted"))
                .isEqualTo("credited 30 credits to promoter-" + promoterId);
        assertThat(FIRSTPROMOTER.rewardsPagesAsked()).containsExactly("page=1 per_page=100", "page=2 per_page=100");
    }

    // ---- The commission is the one whose id was asked for.

    @Test
    void aCommissionsAnswerWithoutTheOneAskedForIsParkedAsUnfilteredNotUnknown() {
        long id = nextId();
        long other = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommissionsAnswering(id, ListShape.DATA_AND_META, FirstPromoterStandIn.commission(other, "approved", "credits", 30,
                promoterId, "promoter@example.com", null, null, null, PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter@example.com", "app-user-" + promoterId);

        String detail = assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 202, "parked");

        assertThat(detail).contains("answered commission " + other + " and not commission " + id);
        assertThat(v2Row(id)).containsEntry("state", "PARKED");
        assertThat(ledger(id)).isEmpty();
        assertThat(ledger(other)).isEmpty();
        assertThat(FIRSTPROMOTER.promoterReads(promoterId)).isEmpty();
    }

    @Test
    void aCommissionsAnswerOfSeveralIsReadForTheOneWhoseIdWasAskedFor() {
        long id = nextId();
        long other = nextId();
        long othersPromoter = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommissionsAnswering(id, ListShape.BARE_ARRAY,
                FirstPromoterStandIn.commission(other, "approved", "credits", 30, othersPromoter, "other@example.com", null, null, null,
                        PROMOTER_REWARD),
                FirstPromoterStandIn.commission(id, "approved", "credits", 30, promoterId, "promoter@example.com", null, null, null,
                        PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(othersPromoter, "other@example.com", "app-user-" + othersPromoter);
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter@example.com", "app-user-" + promoterId);
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);

        assertThat(assertAnswer(postEvent(approval(id, "credits", 30, APPROVED_AT.toString())), 200, "granted"))
                .isEqualTo("credited 30 credits to app-user-" + promoterId);
        assertThat(FIRSTPROMOTER.promoterReads(othersPromoter)).isEmpty();
    }
    @Test
    void aPromoterAnswerOfAnotherPromoterIsParkedNotBookedToIt() {
        long id = nextId();
        long promoterId = nextId();
        long other = nextId();
        stubPromotersCommission(id, "credits", 20, promoterId, PROMOTER_REWARD, ListShape.BARE_ARRAY);
        FIRSTPROMOTER.stubPromoterAnswer(promoterId, okJson(FirstPromoterStandIn.promoter(other, "other@example.com", "app-user-" + other)));

        String detail = assertAnswer(postEvent(approval(id, "credits", 20, APPROVED_AT.toString())), 202, "parked");

        assertThat(detail).contains("answered promoter " + other + ", not promoter " + promoterId);
        assertThat(ledger(id)).isEmpty();
    }
}
