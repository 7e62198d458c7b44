package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.ScenarioMappingBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;

/**
 * A local stand-in for the part of FirstPromoter's API v2 the bridge calls (shapes from its docs'
 * openapi files: Commission, Promoter, Reward, BatchOperationResponse, ErrorResponse), on WireMock: the
 * tests and the demo stub commissions, promoters, rewards and mark_fulfilled answers, and read back the
 * exact requests it received. What is not stubbed answers 404 with FirstPromoter's error body.
 */
public class FirstPromoterStandIn {

    public static final String COMPANY = "/api/v2/company";
    public static final String COMMISSIONS = COMPANY + "/commissions";
    public static final String REWARDS = COMPANY + "/rewards";
    public static final String MARK_FULFILLED = COMPANY + "/commissions/mark_fulfilled";
    /** API v1's payout update, which closes legacy rewards. */
    public static final String PAYOUT_UPDATE = "/api/v1/payouts/update";

    private final WireMockServer server;
    /** FirstPromoter's own lists of open rewards, served with real paging once a test calls {@link #serveLists}. */
    private final OpenRewards lists = new OpenRewards();
    /** FirstPromoter's rate limit, off until a test sets it ({@link #limitRequestsPerMinute}). */
    private final RequestsPerMinute rateLimit = new RequestsPerMinute();

    public FirstPromoterStandIn(int port) {
        server = new WireMockServer(options().port(port).bindAddress("127.0.0.1").extensions(lists, rateLimit));
        server.start();
        notFoundByDefault();
    }

    public WireMockServer server() {
        return server;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public void reset() {
        server.resetAll();
        lists.clear();
        rateLimit.limit(0);
        notFoundByDefault();
    }

    /**
     * From now on, past n requests served in the last 60 s (any call: list pages, payout updates,
     * mark_fulfilled, commission, promoter and rewards reads), every request is answered 429 Too Many
     * Requests with a Retry-After, as FirstPromoter does past an account's limit; 0 turns it off (the
     * default, and again after {@link #reset}). Counted from now.
     */
    public void limitRequestsPerMinute(int n) {
        rateLimit.limit(n);
    }

    /** Every request the stand-in answered 429 Too Many Requests (its limit's, or a stubbed one). */
    public List<LoggedRequest> tooManyRequestsAnswers() {
        return server.getAllServeEvents().stream().filter(e -> e.getResponse() != null && e.getResponse().getStatus() == 429)
                .map(com.github.tomakehurst.wiremock.stubbing.ServeEvent::getRequest).toList();
    }

    // ---- FirstPromoter's lists of open rewards (API v1 payouts, API v2 commissions), with real paging.

    /** API v1's payouts list. */
    public static final String PAYOUTS_LIST = "/api/v1/payouts/list";

    /** How API v1's list says there is a next page: a Link header (rel="next"), or nothing (the client asks page=N+1). */
    public enum V1Paging {
        LINK_HEADER,
        PAGE_NUMBER
    }

    /**
     * From now on GET /api/v1/payouts/list and GET /api/v2/company/commissions (without ids[]) answer from
     * the payouts and commissions added here, filtered, sorted and paged as FirstPromoter's docs say; PUT
     * /api/v1/payouts/update and POST mark_fulfilled change them. v1 pages hold v1PageSize payouts (its
     * docs give no per_page); v2 pages per_page (default 20, at most 100), in this shape.
     */
    public void serveLists(V1Paging v1Paging, int v1PageSize, ListShape v2Shape) {
        lists.configure(v1Paging, v1PageSize, v2Shape, baseUrl());
        server.stubFor(get(urlPathEqualTo(PAYOUTS_LIST)).atPriority(20).willReturn(aResponse().withTransformers(OpenRewards.NAME)));
        server.stubFor(get(urlPathEqualTo(COMMISSIONS)).atPriority(20).willReturn(aResponse().withTransformers(OpenRewards.NAME)));
        server.stubFor(WireMock.put(urlPathEqualTo(PAYOUT_UPDATE)).atPriority(20).willReturn(aResponse().withTransformers(OpenRewards.NAME)));
        server.stubFor(post(urlPathEqualTo(MARK_FULFILLED)).atPriority(20).willReturn(aResponse().withTransformers(OpenRewards.NAME)));
    }

    /**
     * From now on a payout update of a payout not added here answers it completed, as FirstPromoter does
     * for its other payouts (a suite whose listed payouts are only some of those its bridges close).
     */
    public void completeUnknownPayouts() {
        lists.completeUnknownPayouts();
    }

    /**
     * A v1 payout, as a fulfilment_pending delivery's data holds it (the promoter with its auth_token and
     * temp_password, which the bridge must never log or keep): status pending until closed.
     */
    public void addPayout(long id, String unit, String amount, java.time.Instant createdAt, long promoterId, String email, String custId) {
        lists.addPayout(id, unit, amount, createdAt, promoterId, email, custId);
    }

    /** A v2 commission (the Commission schema), not fulfilled; statusUpdatedAt: when it got its status. */
    public void addCommission(long id, String status, String unit, long amount, java.time.Instant createdAt,
                              java.time.Instant statusUpdatedAt, long promoterId, String email) {
        lists.addCommission(id, status, unit, amount, createdAt, statusUpdatedAt, promoterId, email);
    }

    /** A commission's status changed in FirstPromoter (an approval again, a denial). */
    public void setCommissionStatus(long id, String status, java.time.Instant at) {
        lists.setCommissionStatus(id, status, at);
    }

    /** A commission marked unfulfilled in FirstPromoter (mark_unfulfilled), or a payout set back to pending. */
    public void reopen(long id) {
        lists.reopen(id);
    }

    /** From the n-th list read on (1: the next one), list reads answer this status (with Retry-After when given), until {@link #healLists}. */
    public void failListReadsFrom(int n, int status, Integer retryAfterSeconds) {
        lists.failFrom(n, status, retryAfterSeconds);
    }

    public void healLists() {
        lists.failFrom(Integer.MAX_VALUE, 0, null);
    }

    public String payoutStatus(long id) {
        return lists.payoutStatus(id);
    }

    public boolean commissionFulfilled(long id) {
        return lists.fulfilled(id);
    }

    /** Every list read (v1 payouts list, v2 commissions list without ids[]), in order. */
    public List<LoggedRequest> listReads() {
        return requests().stream().filter(r -> r.getMethod().getName().equals("GET")
                && (r.getUrl().startsWith(PAYOUTS_LIST) || (r.getUrl().startsWith(COMMISSIONS + "?") || r.getUrl().equals(COMMISSIONS))
                        && !r.getUrl().contains("ids"))).toList();
    }

    /** Every mark_fulfilled call's ids, in order. */
    public List<List<Long>> markFulfilledBatches() {
        List<List<Long>> batches = new java.util.ArrayList<>();
        for (LoggedRequest r : requests(MARK_FULFILLED)) {
            batches.add(OpenRewards.ids(r.getBodyAsString()));
        }
        return batches;
    }

    public void stop() {
        server.stop();
    }

    private void notFoundByDefault() {
        server.stubFor(WireMock.any(anyUrl()).atPriority(100).willReturn(error(404, "Record not found", "not_found")));
    }

    // ---- Bodies, as the openapi files show them (abridged to what the bridge may read, and a little more).

    /** A Commission; null ids leave that part out (referral is nullable; a commission may lack promoter or reward). */
    public static String commission(long id, String status, String unit, long amount, Long promoterId, String promoterEmail,
                                    Long referralId, String referralEmail, String referralUid, Long rewardId) {
        StringBuilder json = new StringBuilder("{\"id\":").append(id)
                .append(",\"status\":\"").append(status).append("\",\"metadata\":{},\"is_self_referral\":false")
                .append(",\"commission_type\":\"sale\",\"sale_amount\":5000,\"event_id\":null,\"tier\":1")
                .append(",\"unit\":\"").append(unit).append("\",\"fraud_check\":\"no_suspicion\",\"amount\":").append(amount)
                .append(",\"is_paid\":false,\"is_split\":false,\"created_at\":\"2026-11-30T10:00:00.000Z\"");
        if (promoterId != null) {
            json.append(",\"promoter_campaign\":{\"id\":900").append(promoterId).append(",\"campaign_id\":31,\"promoter_id\":")
                    .append(promoterId).append(",\"promoter\":{\"id\":").append(promoterId).append(",\"email\":")
                    .append(quoted(promoterEmail)).append(",\"name\":\"Pat Promoter\"},\"campaign\":{\"id\":31,\"name\":\"Partners\",\"color\":null}}");
        }
        json.append(",\"referral\":");
        if (referralId == null) {
            json.append("null");
        } else {
            json.append("{\"id\":").append(referralId).append(",\"email\":").append(quoted(referralEmail))
                    .append(",\"uid\":").append(quoted(referralUid)).append("}");
        }
        if (rewardId != null) {
            json.append(",\"reward\":{\"id\":").append(rewardId).append(",\"name\":\"Reward ").append(rewardId).append("\"}");
        }
        return json.append(",\"split_details\":null}").toString();
    }

    /** A Promoter (abridged), with the fields the bridge must never keep or log. */
    public static String promoter(long id, String email, String custId) {
        return "{\"id\":" + id + ",\"email\":" + quoted(email) + ",\"name\":\"Pat Promoter\",\"cust_id\":" + quoted(custId)
                + ",\"note\":null,\"is_confirmed\":true,\"profile\":{\"id\":" + id + ",\"first_name\":\"Pat\"}"
                + ",\"password_setup_url\":\"https://example.com/setup?token=secret-setup-token\""
                + ",\"balances\":{\"cash\":0},\"promoter_campaigns\":[]}";
    }

    /** A Reward: whose it is (is_promoter_reward), its unit, and for discounts its provider coupon and duration. */
    public static String reward(long id, boolean isPromoterReward, String unit, String providerCouponId, String duration,
                                Integer durationInMonths) {
        return "{\"id\":" + id + ",\"name\":\"Reward " + id + "\",\"is_promoter_reward\":" + isPromoterReward
                + ",\"promoter_reward_type\":" + (isPromoterReward ? "\"sale\"" : "null") + ",\"coupon\":null,\"editable\":true"
                + ",\"hide_reward\":false,\"provider_coupon_id\":" + quoted(providerCouponId) + ",\"duration\":" + quoted(duration)
                + ",\"duration_in_months\":" + durationInMonths + ",\"max_redemptions\":null,\"new_customers_only\":false"
                + ",\"provider\":\"stripe\",\"tier_reward_mode\":null,\"tier_level\":null"
                + ",\"schemas\":[{\"unit\":\"" + unit + "\",\"amount\":10,\"flat_amount\":true,\"rules\":[]}]}";
    }

    /** mark_fulfilled's answer for five ids or fewer: the batch, completed. */
    public static String batchCompleted(int ids) {
        return "{\"id\":4711,\"status\":\"completed\",\"total\":" + ids + ",\"selected_total\":" + ids + ",\"processed_count\":" + ids
                + ",\"failed_count\":0,\"action_label\":\"mark_fulfilled\",\"created_at\":\"2026-12-01T10:00:00.000Z\""
                + ",\"updated_at\":\"2026-12-01T10:00:00.000Z\",\"meta\":{},\"progress\":100,\"processing_errors\":[]}";
    }

    /** mark_fulfilled's answer when FirstPromoter could not process the id: a 200 whose batch counts a failure. */
    public static String batchFailed(String error) {
        return "{\"id\":4712,\"status\":\"completed\",\"total\":1,\"selected_total\":1,\"processed_count\":0"
                + ",\"failed_count\":1,\"action_label\":\"mark_fulfilled\",\"meta\":{},\"progress\":100"
                + ",\"processing_errors\":[" + quoted(error) + "]}";
    }

    private static String quoted(String text) {
        return text == null ? "null" : "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public static ResponseDefinitionBuilder error(int status, String message, String code) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"message\":\"" + message + "\",\"code\":\"" + code + "\"}");
    }

    /**
     * The two shapes FirstPromoter's API v2 lists come in: a bare array (the commissions and rewards
     * openapi files), or the items under data beside a meta object (the promoters list's).
     */
    public enum ListShape {
        BARE_ARRAY,
        DATA_AND_META
    }

    /** A list answer of these items in this shape. */
    public static String list(ListShape shape, String... items) {
        String array = "[" + String.join(",", items) + "]";
        return shape == ListShape.BARE_ARRAY ? array : "{\"data\":" + array + ",\"meta\":{\"pending_count\":0}}";
    }

    // ---- Stubs.

    /** GET /commissions?ids[]=<id> answers a list holding this commission. */
    public void stubCommission(long id, String commission) {
        stubCommission(id, commission, ListShape.BARE_ARRAY);
    }

    /** GET /commissions?ids[]=<id> answers a list, of this shape, holding this commission. */
    public void stubCommission(long id, String commission, ListShape shape) {
        stubCommissionAnswer(id, okJson(list(shape, commission)));
    }

    /** GET /commissions?ids[]=<id> answers an empty list: FirstPromoter has no such commission. */
    public void stubCommissionAbsent(long id) {
        stubCommissionAnswer(id, okJson("[]"));
    }

    public void stubCommissionAnswer(long id, ResponseDefinitionBuilder answer) {
        server.stubFor(get(urlPathEqualTo(COMMISSIONS)).withQueryParam("ids[]", equalTo(Long.toString(id))).willReturn(answer));
    }

    public void stubPromoter(long id, String email, String custId) {
        stubPromoterAnswer(id, okJson(promoter(id, email, custId)));
    }

    public void stubPromoterAnswer(long id, ResponseDefinitionBuilder answer) {
        server.stubFor(get(urlPathEqualTo(COMPANY + "/promoters/" + id)).willReturn(answer));
    }

    /** Any promoter id answers this promoter's body, with the id asked for (for floods of distinct ids). */
    public void stubAnyPromoter(String email, String custId) {
        server.stubFor(get(WireMock.urlPathMatching(COMPANY + "/promoters/[0-9]+")).atPriority(50)
                .willReturn(okJson(promoter(1, email, custId).replaceFirst("\\{\"id\":1,", "{\"id\":{{request.pathSegments.[4]}},"))
                        .withTransformers("response-template")));
    }

    public void stubRewards(String... rewards) {
        stubRewards(ListShape.BARE_ARRAY, rewards);
    }

    public void stubRewards(ListShape shape, String... rewards) {
        stubRewardsAnswer(okJson(list(shape, rewards)));
    }

    public void stubRewardsAnswer(ResponseDefinitionBuilder answer) {
        server.stubFor(get(urlPathEqualTo(REWARDS)).willReturn(answer));
    }

    /**
     * GET /rewards?page=<page> answers this body (any per_page). Page 1 also answers a request without
     * page, as FirstPromoter's API defaults to the first page.
     */
    public void stubRewardsPage(int page, String body, int delayMillis) {
        MappingBuilder read = get(urlPathEqualTo(REWARDS));
        // Before stubRewards's (default priority 5); a page asked by number before page 1.
        read = page == 1 ? read.atPriority(3) : read.withQueryParam("page", equalTo(Integer.toString(page))).atPriority(2);
        server.stubFor(read.willReturn(okJson(body).withFixedDelay(delayMillis)));
    }

    /** count rewards of the promoter's, ids from firstId on, unit credits: a page of filler. */
    public static String[] promoterRewards(long firstId, int count) {
        return java.util.stream.LongStream.range(firstId, firstId + count)
                .mapToObj(id -> reward(id, true, "credits", null, null, null)).toArray(String[]::new);
    }

    /** A {data, meta} list answer whose meta is this JSON object. */
    public static String listWithMeta(String meta, String... items) {
        return "{\"data\":[" + String.join(",", items) + "],\"meta\":" + meta + "}";
    }

    /** The rewards reads as page and per_page, in order: "page=2 per_page=100" (absent ones as -). */
    public List<String> rewardsPagesAsked() {
        return rewardsReads().stream().map(r -> "page=" + param(r, "page") + " per_page=" + param(r, "per_page")).toList();
    }

    private static String param(LoggedRequest request, String name) {
        return request.queryParameter(name).isPresent() ? String.join(",", request.queryParameter(name).values()) : "-";
    }

    /** GET /commissions?ids[]=<id> answers a list, of this shape, holding these commissions (the filter not applied). */
    public void stubCommissionsAnswering(long id, ListShape shape, String... commissions) {
        stubCommissionAnswer(id, okJson(list(shape, commissions)));
    }

    /** mark_fulfilled for this id answers these statuses in turn, the last one from then on (200: the batch completed). */
    public void stubMarkFulfilled(long id, int... statuses) {
        stubMarkFulfilledAnswers(id, java.util.Arrays.stream(statuses).mapToObj(FirstPromoterStandIn::markFulfilledAnswer)
                .toArray(ResponseDefinitionBuilder[]::new));
    }

    /** mark_fulfilled for this id gives these answers in turn, the last one from then on. */
    public void stubMarkFulfilledAnswers(long id, ResponseDefinitionBuilder... answers) {
        String scenario = "mark_fulfilled-" + id;
        for (int i = 0; i < answers.length; i++) {
            ScenarioMappingBuilder call = markFulfilledOf(id).inScenario(scenario)
                    .whenScenarioStateIs(i == 0 ? STARTED : "answered " + i);
            if (i < answers.length - 1) {
                call = call.willSetStateTo("answered " + (i + 1));
            }
            server.stubFor(call.willReturn(answers[i]));
        }
    }

    /** A mark_fulfilled call whose ids hold this one (alone, or in a batch of up to five). */
    private MappingBuilder markFulfilledOf(long id) {
        return post(urlPathEqualTo(MARK_FULFILLED)).withRequestBody(idsHold(id));
    }

    private static com.github.tomakehurst.wiremock.matching.StringValuePattern idsHold(long id) {
        return WireMock.matchingJsonPath("$.ids[?(@ == " + id + ")]");
    }

    private static ResponseDefinitionBuilder markFulfilledAnswer(int status) {
        return switch (status) {
            case 200 -> okJson(batchCompleted(1));
            case 422 -> error(422, "Commission payout not found", "invalid_params");
            case 401 -> aResponse().withStatus(401).withHeader("Content-Type", "application/json").withBody("{}");
            default -> error(status, "Service unavailable", "unavailable");
        };
    }

    /** API v1's payout update answers the payout, completed (abridged), for any id. */
    public void stubPayoutUpdateCompleted() {
        server.stubFor(WireMock.put(urlPathEqualTo(PAYOUT_UPDATE)).willReturn(okJson("{\"id\":2710287,\"status\":\"completed\","
                + "\"amount\":3000,\"unit\":\"cash\",\"has_issues\":false,\"promoter\":{\"id\":8262622,\"cust_id\":\"\"}}")));
    }

    // ---- What FirstPromoter received.

    public List<LoggedRequest> payoutUpdates(long id) {
        return server.findAll(WireMock.putRequestedFor(urlPathEqualTo(PAYOUT_UPDATE)).withQueryParam("id", equalTo(Long.toString(id))));
    }

    public List<LoggedRequest> requests() {
        return server.findAll(anyRequestedFor(anyUrl()));
    }

    public List<LoggedRequest> requests(String path) {
        return server.findAll(anyRequestedFor(urlPathEqualTo(path)));
    }

    public List<LoggedRequest> commissionReads(long id) {
        return server.findAll(WireMock.getRequestedFor(urlPathEqualTo(COMMISSIONS)).withQueryParam("ids[]", equalTo(Long.toString(id))));
    }

    public List<LoggedRequest> promoterReads(long id) {
        return requests(COMPANY + "/promoters/" + id);
    }

    public List<LoggedRequest> rewardsReads() {
        return requests(REWARDS);
    }

    /** The ids a mark_fulfilled call named. */
    public static List<Long> idsOf(LoggedRequest markFulfilled) {
        return OpenRewards.ids(markFulfilled.getBodyAsString());
    }

    /** The mark_fulfilled calls that held this id, alone or in a batch. */
    public List<LoggedRequest> markFulfilled(long id) {
        return server.findAll(WireMock.postRequestedFor(urlPathEqualTo(MARK_FULFILLED)).withRequestBody(idsHold(id)));
    }
}
