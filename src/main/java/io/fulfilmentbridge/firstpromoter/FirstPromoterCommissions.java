package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.firstpromoter.AnswerFields.emptyIsNull;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.firstId;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.id;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.months;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.refusedIdentity;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.ApprovedReward;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Unit;
import io.fulfilmentbridge.firstpromoter.FirstPromoterBudget.Caller;
import io.fulfilmentbridge.tracing.Spans;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Whose reward an approved v2 commission is, and on what terms, as FirstPromoter's API v2 says
 * (docs/promises.md, Webhooks v2 events): the commission (its promoter, referral and reward), the
 * promoter (its cust_id), and the reward (promoter's or referred customer's, its provider coupon and
 * duration). Unit, amount and status are the event's. Promoters and the rewards list are cached for bridge.firstpromoter.cache-ttl;
 * commissions are read afresh each time, since a late approval must see a denial made since.
 * Every call is cut to what is left of the answer's deadline, less a reserve for the grant that follows (DeadlineCalls).
 */
@Component("firstPromoterCommissions")
public class FirstPromoterCommissions {

    /** Per cache: a flood of distinct promoter ids cannot grow memory past this. */
    static final int MAX_CACHED = 10_000;
    /** A reward id missing from the cached list re-reads it, at most this often (a reward made since). */
    static final Duration REWARDS_REREAD_AFTER = Duration.ofSeconds(30);
    /** FirstPromoter's largest page. */
    static final int REWARDS_PER_PAGE = 100;
    /** Past this many pages the list is not read further: the approval is parked, never guessed. */
    static final int MAX_REWARDS_PAGES = 50;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COMMISSIONS = "GET " + ApiV2.COMPANY + "/commissions";
    private static final String PROMOTER = "GET " + ApiV2.COMPANY + "/promoters/{id}";
    private static final String REWARDS = "GET " + ApiV2.COMPANY + "/rewards";

    /** What the bridge uses of a promoter: never its auth_token, temp_password or password_setup_url. */
    record Promoter(long id, String email, String custId) {
    }

    /** What the bridge uses of a reward. isPromoterReward is null when the answer did not say. */
    record Reward(long id, Boolean isPromoterReward, String providerCouponId, String duration, Integer durationInMonths) {
    }

    /**
     * The rewards read: whole when every page was, else the pages up to the one holding the reward asked
     * for. Only a whole list shows a reward is not in it.
     */
    record Rewards(Map<Long, Reward> byId, boolean whole) {
    }

    /** The answer could not be used: the reward is parked with this reason. */
    private static final class Unusable extends Exception {
        Unusable(String reason) {
            super(reason, null, false, false);
        }
    }

    private final ApiV2 api;
    private final DeadlineCalls calls;
    private final LongSupplier clock;
    private final ExpiringCache<Long, Promoter> promoters;
    private final ExpiringCache<String, Rewards> rewards;
    private final AtomicLong rewardsReadAt = new AtomicLong(Long.MIN_VALUE);

    @Autowired
    FirstPromoterCommissions(FirstPromoterSettings settings, Spans spans, FirstPromoterBudget budget) {
        this(settings, spans, budget, System::nanoTime, MAX_CACHED);
    }

    FirstPromoterCommissions(FirstPromoterSettings settings, Spans spans, FirstPromoterBudget budget, LongSupplier nanoClock,
                             int maxCachedPromoters) {
        this.api = new ApiV2(settings, spans, budget);
        this.calls = new DeadlineCalls(api, settings.readTimeout());
        this.clock = nanoClock;
        this.promoters = new ExpiringCache<>(settings.cacheTtl(), maxCachedPromoters, nanoClock);
        this.rewards = new ExpiringCache<>(settings.cacheTtl(), 1, nanoClock);
    }

    /** An operator's replay of a commission: whose reward it is, read from the API again; parked again unless it applies. */
    public FulfilmentRequest replay(FulfilmentClaims.Replay replay, Deadline deadline) {
        // An operator's replay is answered as it runs: it draws as a delivery does.
        return FulfilmentRequest.replay(replay, approvedReward(CommissionEvent.replayOf(replay.fulfilment()), null, deadline,
                Caller.DELIVERY));
    }

    /**
     * The approved commission as a fulfilment to apply, park or ignore. Throws {@link RetryLater} when
     * FirstPromoter's API failed, timed out, refused the key, or no time is left to ask it.
     */
    public ApprovedReward approvedReward(CommissionEvent event, Deadline deadline) {
        return approvedReward(event, null, deadline, Caller.DELIVERY);
    }

    /**
     * A commission FirstPromoter's list holds approved and not fulfilled (docs/promises.md, Nothing lost when every
     * delivery failed), read as its approval would be, from the listed commission. Null: FirstPromoter applies it itself.
     */
    public FulfilmentRequest reconciled(ListedReward listed, Deadline deadline) {
        ApprovedReward reward = approvedReward(listed.approval(), listed.item(), deadline, Caller.RECONCILIATION);
        return reward.ignored() ? null : FulfilmentRequest.reconciled(reward, listed.statusUpdatedAt());
    }

    private ApprovedReward approvedReward(CommissionEvent event, JsonNode listedCommission, Deadline deadline, Caller caller) {
        Fulfilment asEvent = fulfilment(event, event.promoterId() == null ? 0 : event.promoterId(), null,
                event.promoterEmail(), null, null);
        if (!api.configured()) {
            return ApprovedReward.park(asEvent, "FirstPromoter's API v2 is not configured (bridge.firstpromoter.api-key): "
                    + "whose reward commission " + event.commissionId() + " is cannot be read");
        }
        try {
            JsonNode commission = listedCommission != null ? listedCommission : commission(event.commissionId(), deadline, caller);
            JsonNode promoterNode = commission.path("promoter_campaign").path("promoter");
            Long promoterId = firstId(promoterNode.path("id"), commission.path("promoter_campaign").path("promoter_id"),
                    event.promoterId());
            String promoterEmail = id(promoterNode.path("id")) != null ? text(promoterNode.path("email")) : event.promoterEmail();
            Fulfilment known = fulfilment(event, promoterId == null ? 0 : promoterId, null, promoterEmail, null, null);
            if ("denied".equals(text(commission.path("status")))) {
                return ApprovedReward.denied(known, "FirstPromoter's API now has commission " + event.commissionId()
                        + " denied: this approval came late, nothing is applied");
            }
            Reward reward = reward(id(commission.path("reward").path("id")), event.commissionId(), deadline, caller);
            DiscountTerms discount = reward != null && known.unitKind() == Unit.DISCOUNT_PER
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
                if (decided.unitKind().discount() && reward.providerCouponId() != null) {
                    return ApprovedReward.ignore(decided, "FirstPromoter gives the referred customer this discount itself: its billing "
                            + "integration attaches the reward's coupon " + reward.providerCouponId()
                            + " at checkout, so the bridge does not apply it again");
                }
            } else {
                if (promoterId == null) {
                    return ApprovedReward.park(known, "commission " + event.commissionId()
                            + " names no promoter, in FirstPromoter's API or the event: whose reward it is cannot be told");
                }
                Promoter promoter = promoter(promoterId, deadline, caller);
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

    // ---- The three reads.

    /** GET /commissions?ids[]=<id>: a list of commissions; the one asked for, or Unusable. */
    private JsonNode commission(long commissionId, Deadline deadline, Caller caller) throws Unusable {
        ApiV2.Reply reply = calls.get(COMMISSIONS, "/commissions?ids%5B%5D=" + commissionId, deadline, caller);
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
        // Taken by its own id only: an item with another id is not this commission, whatever its place.
        JsonNode found = null;
        List<String> others = new ArrayList<>();
        for (JsonNode commission : list) {
            Long id = id(commission.path("id"));
            if (id != null && id == commissionId) {
                if (found != null) {
                    throw new Unusable(COMMISSIONS + " answered commission " + commissionId + " more than once: which is it cannot be told");
                }
                found = commission;
            } else {
                others.add(id == null ? "an item without an id" : "commission " + id);
            }
        }
        if (found != null) {
            return found;
        }
        if (!others.isEmpty()) {
            // The ids[] filter was not applied: an answer without it is no proof the commission is unknown.
            String answered = String.join(", ", others.subList(0, Math.min(3, others.size())))
                    + (others.size() > 3 ? " and " + (others.size() - 3) + " more" : "");
            throw new Unusable(COMMISSIONS + "?ids[]=" + commissionId + " answered " + answered + " and not commission " + commissionId
                    + ": the API did not filter by id, so whether commission " + commissionId + " is known cannot be told; "
                    + "replay it once FirstPromoter's API answers it");
        }
        throw new Unusable("commission " + commissionId + " is unknown to FirstPromoter's API (" + COMMISSIONS + " answered an empty list)");
    }

    private Promoter promoter(long promoterId, Deadline deadline, Caller caller) throws Unusable {
        Promoter cached = promoters.get(promoterId);
        if (cached != null) {
            return cached;
        }
        String what = PROMOTER.replace("{id}", Long.toString(promoterId));
        ApiV2.Reply reply = calls.get(what, "/promoters/" + promoterId, deadline, caller);
        if (!reply.ok()) {
            throw new Unusable(reply.status() == 404 ? "promoter " + promoterId + " is unknown to FirstPromoter's API (" + what + " answered 404)"
                    : "FirstPromoter's API refused to read promoter " + promoterId + " (" + what + " answered " + reply.status()
                            + api.excerpt(reply.body()) + ")");
        }
        JsonNode node = json(reply, what);
        if (!node.isObject()) {
            throw new Unusable(what + " did not answer a promoter: whose cust_id it is cannot be read");
        }
        Long answered = id(node.path("id"));
        if (answered == null || answered != promoterId) {
            throw new Unusable(what + " answered " + (answered == null ? "a promoter without an id" : "promoter " + answered)
                    + ", not promoter " + promoterId + ": whose cust_id it is cannot be told");
        }
        Promoter promoter = new Promoter(promoterId, text(node.path("email")), text(node.path("cust_id")));
        promoters.put(promoterId, promoter);
        return promoter;
    }

    /**
     * The commission's reward from GET /rewards, read page by page (FirstPromoter's API pages its lists:
     * docs/promises.md, "Webhooks v2 events"). Null when the commission names no reward, or when the
     * whole list, every page of it, does not have it: then whose reward it is cannot be told, and it is
     * the promoter's. A list that could not be read whole is never taken as the whole.
     */
    private Reward reward(Long rewardId, long commissionId, Deadline deadline, Caller caller) throws Unusable {
        if (rewardId == null) {
            return null;
        }
        Rewards list = rewards.get("all");
        boolean absentFromRecentWhole = list != null && list.whole()
                && clock.getAsLong() - rewardsReadAt.get() < REWARDS_REREAD_AFTER.toNanos();
        if (list == null || (!list.byId().containsKey(rewardId) && !absentFromRecentWhole)) {
            list = readRewards(rewardId, commissionId, deadline, caller);
        }
        return list.byId().get(rewardId);
    }

    /**
     * GET /rewards page by page, REWARDS_PER_PAGE a page, until the page holding the reward asked for
     * (its own object says whose it is) or the last page: the last when meta says so, else when it is
     * short or empty. Each page is cut to the deadline (RetryLater when it runs out). A list that cannot
     * be read whole without the reward (past MAX_REWARDS_PAGES, or the API not paging it) is Unusable.
     */
    private Rewards readRewards(long rewardId, long commissionId, Deadline deadline, Caller caller) throws Unusable {
        String cannotTell = "whose reward commission " + commissionId + " is cannot be told; FirstPromoter's reward " + rewardId
                + " says whose it is (is_promoter_reward): apply it by hand, or replay once the list can be read whole";
        Map<Long, Reward> list = new HashMap<>();
        int firstPageSize = 0;
        for (int page = 1; ; page++) {
            String what = REWARDS + "?page=" + page;
            ApiV2.Reply reply = calls.get(what, "/rewards?page=" + page + "&per_page=" + REWARDS_PER_PAGE, deadline, caller);
            if (!reply.ok()) {
                throw new Unusable("FirstPromoter's API refused to list the rewards (" + what + " answered " + reply.status()
                        + api.excerpt(reply.body()) + "): " + cannotTell);
            }
            JsonNode answer = json(reply, what);
            JsonNode items = ApiV2.listItems(answer);
            if (items == null) {
                throw new Unusable(what + " did not answer a list of rewards: " + cannotTell);
            }
            int added = 0;
            for (JsonNode reward : items) {
                Long id = id(reward.path("id"));
                if (id != null && !list.containsKey(id)) {
                    JsonNode promoterReward = reward.path("is_promoter_reward");
                    list.put(id, new Reward(id, promoterReward.isBoolean() ? promoterReward.booleanValue() : null,
                            emptyIsNull(text(reward.path("provider_coupon_id"))), text(reward.path("duration")),
                            months(reward.path("duration_in_months"))));
                    added++;
                }
            }
            if (page == 1) {
                firstPageSize = items.size();
            }
            ApiV2.Paging paging = ApiV2.paging(answer, page);
            if (items.isEmpty() || paging == ApiV2.Paging.LAST
                    || (paging == ApiV2.Paging.UNSAID && items.size() < REWARDS_PER_PAGE)) {
                break;
            }
            if (list.containsKey(rewardId)) {
                return remembered(new Rewards(list, false));
            }
            if (paging == ApiV2.Paging.UNSAID && page > 1 && added == 0) {
                // The API ignored page. It ignored per_page too if the first page held more: each answer is the whole list.
                if (firstPageSize > REWARDS_PER_PAGE) {
                    break;
                }
                throw new Unusable("page " + page + " of FirstPromoter's rewards list repeats the rewards before it: the API does "
                        + "not page the list, so the rewards past the first " + firstPageSize + " cannot be read and " + cannotTell);
            }
            if (page == MAX_REWARDS_PAGES) {
                throw new Unusable("FirstPromoter's rewards list runs past " + MAX_REWARDS_PAGES + " pages of " + REWARDS_PER_PAGE
                        + " (" + list.size() + " rewards read, reward " + rewardId + " not among them): " + cannotTell);
            }
        }
        return remembered(new Rewards(list, true));
    }

    private Rewards remembered(Rewards read) {
        rewards.put("all", read);
        rewardsReadAt.set(clock.getAsLong());
        return read;
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

    /** For the tests: how many promoters are cached. */
    int cachedPromoters() {
        return promoters.size();
    }
}
