package io.fulfilmentbridge.firstpromoter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.ApprovedReward;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Whose reward an approved v2 commission is, and on what terms, as FirstPromoter's API v2 says
 * (contract 9): the commission (its promoter, referral and reward), the promoter (its cust_id), and the
 * reward (promoter's or referred customer's, its provider coupon and duration). Unit, amount and status
 * are the event's. Promoters and the rewards list are cached for bridge.firstpromoter.cache-ttl;
 * commissions are read afresh each time, since a late approval must see a denial made since.
 * Every call is cut to what is left of the answer's deadline, less a reserve for the grant that follows.
 */
@Component("firstPromoterCommissions")
public class FirstPromoterCommissions {

    /** Left of the deadline for the grant after these reads (a Stripe call or a ledger batch). */
    static final long GRANT_RESERVE_MILLIS = 1500;
    /** Per cache: a flood of distinct promoter ids cannot grow memory past this. */
    static final int MAX_CACHED = 10_000;
    /** A reward id missing from the cached list re-reads it, at most this often (a reward made since). */
    static final Duration REWARDS_REREAD_AFTER = Duration.ofSeconds(30);
    static final int MAX_CUST_ID = 255;
    static final int MAX_EMAIL = 320;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");
    private static final String COMMISSIONS = "GET " + ApiV2.COMPANY + "/commissions";
    private static final String PROMOTER = "GET " + ApiV2.COMPANY + "/promoters/{id}";
    private static final String REWARDS = "GET " + ApiV2.COMPANY + "/rewards";

    /** What the bridge uses of a promoter: never its auth_token, temp_password or password_setup_url. */
    record Promoter(long id, String email, String custId) {
    }

    /** What the bridge uses of a reward. isPromoterReward is null when the answer did not say. */
    record Reward(long id, Boolean isPromoterReward, String providerCouponId, String duration, Integer durationInMonths) {
    }

    /** The answer could not be used: the reward is parked with this reason. */
    private static final class Unusable extends Exception {
        Unusable(String reason) {
            super(reason, null, false, false);
        }
    }

    private final ApiV2 api;
    private final Duration readTimeout;
    private final LongSupplier clock;
    private final ExpiringCache<Long, Promoter> promoters;
    private final ExpiringCache<String, Map<Long, Reward>> rewards;
    private final AtomicLong rewardsReadAt = new AtomicLong(Long.MIN_VALUE);

    @Autowired
    public FirstPromoterCommissions(FirstPromoterSettings settings) {
        this(settings, System::nanoTime, MAX_CACHED);
    }

    FirstPromoterCommissions(FirstPromoterSettings settings, LongSupplier nanoClock, int maxCachedPromoters) {
        this.api = new ApiV2(settings);
        this.readTimeout = settings.readTimeout();
        this.clock = nanoClock;
        this.promoters = new ExpiringCache<>(settings.cacheTtl(), maxCachedPromoters, nanoClock);
        this.rewards = new ExpiringCache<>(settings.cacheTtl(), 1, nanoClock);
    }

    /**
     * The approved commission as a fulfilment to apply, park or ignore. Throws {@link RetryLater} when
     * FirstPromoter's API failed, timed out, refused the key, or no time is left to ask it.
     */
    public ApprovedReward approvedReward(CommissionEvent event, Deadline deadline) {
        Fulfilment asEvent = fulfilment(event, event.promoterId() == null ? 0 : event.promoterId(), null,
                event.promoterEmail(), null, null);
        if (!api.configured()) {
            return ApprovedReward.park(asEvent, "FirstPromoter's API v2 is not configured (bridge.firstpromoter.api-key): "
                    + "whose reward commission " + event.commissionId() + " is cannot be read");
        }
        try {
            JsonNode commission = commission(event.commissionId(), deadline);
            JsonNode promoterNode = commission.path("promoter_campaign").path("promoter");
            Long promoterId = firstId(promoterNode.path("id"), commission.path("promoter_campaign").path("promoter_id"),
                    event.promoterId());
            String promoterEmail = id(promoterNode.path("id")) != null ? text(promoterNode.path("email")) : event.promoterEmail();
            Fulfilment known = fulfilment(event, promoterId == null ? 0 : promoterId, null, promoterEmail, null, null);
            if ("denied".equals(text(commission.path("status")))) {
                return ApprovedReward.denied(known, "FirstPromoter's API now has commission " + event.commissionId()
                        + " denied: this approval came late, nothing is applied");
            }
            Reward reward = reward(id(commission.path("reward").path("id")), deadline);
            DiscountTerms discount = reward != null && "discount_per".equals(known.unit())
                    ? new DiscountTerms(reward.providerCouponId(), reward.duration(), reward.durationInMonths())
                    : null;
            // Checked when read, and parked below with storable terms, so a replay never fails on them
            // (docs/promises.md, "Webhooks v2 events").
            String unusableDiscount = discount == null ? null : discount.unusable();
            if (unusableDiscount != null) {
                discount = discount.storable();
            }
            Fulfilment decided;
            if (reward != null && Boolean.FALSE.equals(reward.isPromoterReward())) {
                // The API's referral as a whole when it has one: never its id with the event's uid.
                JsonNode referral = commission.path("referral");
                Long apiReferralId = id(referral.path("id"));
                Long referralId = apiReferralId != null ? apiReferralId : event.referralId();
                if (referralId == null) {
                    return ApprovedReward.park(known, "commission " + event.commissionId() + "'s reward " + reward.id()
                            + " is the referred customer's, but neither FirstPromoter's API nor the event names the referral");
                }
                decided = fulfilment(event, promoterId == null ? 0 : promoterId,
                        emptyIsNull(apiReferralId != null ? text(referral.path("uid")) : event.referralUid()),
                        apiReferralId != null ? text(referral.path("email")) : event.referralEmail(),
                        Recipient.referral(referralId), discount);
                if (("discount_per".equals(decided.unit()) || "mon_discount".equals(decided.unit())) && reward.providerCouponId() != null) {
                    return ApprovedReward.ignore(decided, "FirstPromoter gives the referred customer this discount itself: its billing "
                            + "integration attaches the reward's coupon " + reward.providerCouponId()
                            + " at checkout, so the bridge does not apply it again");
                }
            } else {
                if (promoterId == null) {
                    return ApprovedReward.park(known, "commission " + event.commissionId()
                            + " names no promoter, in FirstPromoter's API or the event: whose reward it is cannot be told");
                }
                Promoter promoter = promoter(promoterId, deadline);
                decided = fulfilment(event, promoterId, emptyIsNull(promoter.custId()),
                        promoter.email() != null ? promoter.email() : promoterEmail, Recipient.promoter(promoterId), discount);
            }
            String refused = refusedIdentity(decided);
            if (refused == null && unusableDiscount != null) {
                refused = "FirstPromoter's reward " + reward.id() + " is a " + unusableDiscount
                        + ": no coupon is added for it; fix the reward in FirstPromoter, then replay";
            }
            return refused == null ? ApprovedReward.apply(decided) : ApprovedReward.park(decided, refused);
        } catch (Unusable unusable) {
            return ApprovedReward.park(asEvent, unusable.getMessage());
        }
    }

    private static Fulfilment fulfilment(CommissionEvent event, long promoterId, String custId, String email, Recipient recipient,
            DiscountTerms discount) {
        return new Fulfilment(event.key(), event.eventId(), event.unit(), event.amount(), event.status(), promoterId, custId, email,
                recipient, discount);
    }

    /**
     * A cust_id or email that would name somebody else's account: longer than its column (cutting it
     * could name another), holding NUL (PostgreSQL's text cannot), or starting with a derived account's prefix.
     */
    private static String refusedIdentity(Fulfilment f) {
        String whose = f.recipient().kind() == Recipient.Kind.REFERRAL ? "the referred customer's uid" : "the promoter's cust_id";
        String whoseEmail = f.recipient().kind() == Recipient.Kind.REFERRAL ? "the referred customer's email" : "the promoter's email";
        if (f.custId() != null && f.custId().length() > MAX_CUST_ID) {
            return whose + " is longer than " + MAX_CUST_ID + " characters";
        }
        if (f.email() != null && f.email().length() > MAX_EMAIL) {
            return whoseEmail + " is longer than " + MAX_EMAIL + " characters";
        }
        if (f.custId() != null && f.custId().indexOf('\u0000') >= 0) {
            return whose + " contains a NUL character (U+0000)";
        }
        if (f.email() != null && f.email().indexOf('\u0000') >= 0) {
            return whoseEmail + " contains a NUL character (U+0000)";
        }
        String reserved = Recipient.reservedPrefixOf(f.custId());
        if (reserved != null) {
            return whose + " starts with " + reserved + ", a prefix reserved for the bridge's own derived accounts: "
                    + "it would book into another's account";
        }
        return null;
    }

    // ---- The three reads.

    /** GET /commissions?ids[]=<id>: a list of commissions; the one asked for, or Unusable. */
    private JsonNode commission(long commissionId, Deadline deadline) throws Unusable {
        ApiV2.Reply reply = call(COMMISSIONS, "/commissions?ids%5B%5D=" + commissionId, deadline);
        if (reply.status() == 404) {
            throw new Unusable("commission " + commissionId + " is unknown to FirstPromoter's API (" + COMMISSIONS + " answered 404)");
        }
        if (!reply.ok()) {
            throw new Unusable("FirstPromoter's API refused to read commission " + commissionId + " (" + COMMISSIONS + " answered "
                    + reply.status() + api.excerpt(reply.body()) + ")");
        }
        JsonNode list = ApiV2.listItems(json(reply, COMMISSIONS));
        if (list == null) {
            throw new Unusable(COMMISSIONS + " did not answer a list of commissions: commission " + commissionId + " cannot be read");
        }
        for (JsonNode commission : list) {
            Long id = id(commission.path("id"));
            if (id != null && id == commissionId) {
                return commission;
            }
        }
        throw new Unusable("commission " + commissionId + " is unknown to FirstPromoter's API (not in the answer of " + COMMISSIONS + ")");
    }

    private Promoter promoter(long promoterId, Deadline deadline) throws Unusable {
        Promoter cached = promoters.get(promoterId);
        if (cached != null) {
            return cached;
        }
        String what = PROMOTER.replace("{id}", Long.toString(promoterId));
        ApiV2.Reply reply = call(what, "/promoters/" + promoterId, deadline);
        if (!reply.ok()) {
            throw new Unusable(reply.status() == 404 ? "promoter " + promoterId + " is unknown to FirstPromoter's API (" + what + " answered 404)"
                    : "FirstPromoter's API refused to read promoter " + promoterId + " (" + what + " answered " + reply.status()
                            + api.excerpt(reply.body()) + ")");
        }
        JsonNode node = json(reply, what);
        if (!node.isObject()) {
            throw new Unusable(what + " did not answer a promoter: whose cust_id it is cannot be read");
        }
        Promoter promoter = new Promoter(promoterId, text(node.path("email")), text(node.path("cust_id")));
        promoters.put(promoterId, promoter);
        return promoter;
    }

    /**
     * The commission's reward from GET /rewards, which takes no paging (only a scope, left out to get
     * both kinds): the whole list is one answer. Null when the commission names no reward or the list
     * does not have it: then whose reward it is cannot be told, and it is the promoter's.
     */
    private Reward reward(Long rewardId, Deadline deadline) throws Unusable {
        if (rewardId == null) {
            return null;
        }
        Map<Long, Reward> list = rewards.get("all");
        if (list == null || (!list.containsKey(rewardId) && clock.getAsLong() - rewardsReadAt.get() >= REWARDS_REREAD_AFTER.toNanos())) {
            list = readRewards(deadline);
        }
        return list.get(rewardId);
    }

    private Map<Long, Reward> readRewards(Deadline deadline) throws Unusable {
        ApiV2.Reply reply = call(REWARDS, "/rewards", deadline);
        if (!reply.ok()) {
            throw new Unusable("FirstPromoter's API refused to list the rewards (" + REWARDS + " answered " + reply.status()
                    + api.excerpt(reply.body()) + "): whose reward it is cannot be told");
        }
        JsonNode node = ApiV2.listItems(json(reply, REWARDS));
        if (node == null) {
            throw new Unusable(REWARDS + " did not answer a list of rewards: whose reward it is cannot be told");
        }
        Map<Long, Reward> list = new HashMap<>();
        for (JsonNode reward : node) {
            Long id = id(reward.path("id"));
            if (id != null) {
                JsonNode promoterReward = reward.path("is_promoter_reward");
                list.put(id, new Reward(id, promoterReward.isBoolean() ? promoterReward.booleanValue() : null,
                        emptyIsNull(text(reward.path("provider_coupon_id"))), text(reward.path("duration")),
                        months(reward.path("duration_in_months"))));
            }
        }
        rewards.put("all", list);
        rewardsReadAt.set(clock.getAsLong());
        return list;
    }

    /**
     * One call, cut to the deadline less the grant's reserve. FirstPromoter down, busy, slow or refusing
     * the key: RetryLater naming the call and status, never the key.
     */
    private ApiV2.Reply call(String what, String pathAndQuery, Deadline deadline) {
        long left = deadline.remainingMillis() - GRANT_RESERVE_MILLIS;
        if (left <= 0) {
            throw new RetryLater("no time left to call FirstPromoter's API (" + what + ") before the answer is due; retry later");
        }
        ApiV2.Reply reply;
        try {
            reply = api.get(pathAndQuery, Duration.ofMillis(Math.min(readTimeout.toMillis(), left)));
        } catch (HttpTimeoutException timedOut) {
            throw new RetryLater("FirstPromoter's API timed out (" + what + "); retry later");
        } catch (IOException unreachable) {
            throw new RetryLater("FirstPromoter's API could not be reached (" + what + ": " + unreachable.getClass().getSimpleName()
                    + "); retry later");
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RetryLater("interrupted while calling FirstPromoter's API (" + what + "); retry later");
        }
        if (ApiV2.retryable(reply.status())) {
            throw new RetryLater("FirstPromoter's API answered " + reply.status() + " to " + what
                    + (reply.status() == 401 || reply.status() == 403 ? " (check bridge.firstpromoter.api-key and account-id)" : "")
                    + "; retry later");
        }
        return reply;
    }

    private static JsonNode json(ApiV2.Reply reply, String what) throws Unusable {
        try {
            JsonNode node = JSON.readTree(reply.body() == null ? "" : reply.body());
            if (node == null || node.isMissingNode()) {
                throw new Unusable(what + " answered " + reply.status() + " without a body");
            }
            return node;
        } catch (IOException notJson) {
            throw new Unusable(what + " answered " + reply.status() + " with a body that is not JSON");
        }
    }

    // ---- Reading fields of FirstPromoter's answers.

    private static String text(JsonNode node) {
        return node.isTextual() || node.isNumber() ? node.asText() : null;
    }

    /** A whole number of months, as a JSON integer or a string of digits; anything else is none. */
    private static Integer months(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.canConvertToInt() ? node.intValue() : null;
        }
        if (node.isTextual() && node.asText().trim().matches("-?[0-9]{1,9}")) {
            return Integer.valueOf(node.asText().trim());
        }
        return null;
    }

    private static String emptyIsNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    /** A positive id given as a JSON integer or a string of digits. */
    private static Long id(JsonNode node) {
        String digits = node.isIntegralNumber() && node.canConvertToLong() ? Long.toString(node.longValue())
                : node.isTextual() ? node.asText() : null;
        if (digits == null || !DIGITS.matcher(digits).matches()) {
            return null;
        }
        long id = Long.parseLong(digits);
        return id > 0 ? id : null;
    }

    private static Long firstId(JsonNode node, JsonNode second, Long otherwise) {
        Long id = id(node);
        if (id == null && second != null) {
            id = id(second);
        }
        return id != null ? id : otherwise;
    }

    /** For the tests: how many promoters are cached. */
    int cachedPromoters() {
        return promoters.size();
    }
}
