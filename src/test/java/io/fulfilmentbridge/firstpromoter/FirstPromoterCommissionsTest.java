package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.FirstPromoterStandIn.commission;
import static io.fulfilmentbridge.FirstPromoterStandIn.error;
import static io.fulfilmentbridge.FirstPromoterStandIn.reward;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import io.fulfilmentbridge.fulfilment.ApprovedReward;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Contract 9: whose reward an approved v2 commission is, read from FirstPromoter's API v2 (a local
 * stand-in): the exact calls, the decision, the cache and the deadline. No Spring: the bean is built
 * from its settings.
 */
class FirstPromoterCommissionsTest {

    static final String KEY = "fp_v2_key_for_commission_tests";
    static final String ACCOUNT = "acc_commission_tests";
    static final long PROMOTER = 7101;
    static final long REFERRAL = 99812;
    static final long PROMOTER_REWARD = 11;
    static final long REFERRAL_REWARD = 12;

    private static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final AtomicLong IDS = new AtomicLong(48_000);

    private final AtomicLong nanos = new AtomicLong(System.nanoTime());
    private FirstPromoterCommissions commissions;

    @AfterAll
    static void stop() {
        FIRSTPROMOTER.stop();
    }

    @BeforeEach
    void freshBridge() {
        FIRSTPROMOTER.reset();
        commissions = new FirstPromoterCommissions(settings(), io.fulfilmentbridge.tracing.Spans.off(), new NoBudget(settings()), nanos::get, 100);
        FIRSTPROMOTER.stubRewards(
                reward(PROMOTER_REWARD, true, "credits", null, null, null),
                reward(REFERRAL_REWARD, false, "credits", null, null, null));
    }

    static FirstPromoterSettings settings() {
        return new FirstPromoterSettings("legacy", "", "http://127.0.0.1:9", KEY, ACCOUNT, FIRSTPROMOTER.baseUrl(),
                Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5), 6, Duration.ofMinutes(1),
                Duration.ofHours(24), Duration.ofMinutes(5), 200);
    }

    @Test
    void aPromotersRewardGoesToThePromotersCustIdReadFromTheExactCalls() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "promoter@example.com",
                REFERRAL, "customer@example.com", "app-user-552", PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "app-user-7101");

        ApprovedReward decided = commissions.approvedReward(approval(id, "credits", 20), deadline());

        assertThat(decided.applies()).isTrue();
        Fulfilment f = decided.fulfilment();
        assertThat(f.key()).isEqualTo(new FulfilmentKey(Source.COMMISSION, id));
        assertThat(f.eventId()).isEqualTo("event-" + id);
        assertThat(f.unit()).isEqualTo("credits");
        assertThat(f.amount()).isEqualByComparingTo("20");
        assertThat(f.status()).isEqualTo("approved");
        assertThat(f.recipient()).isEqualTo(Recipient.promoter(PROMOTER));
        assertThat(f.promoterId()).isEqualTo(PROMOTER);
        assertThat(f.custId()).isEqualTo("app-user-7101");
        assertThat(f.email()).isEqualTo("promoter@example.com");
        assertThat(f.ledgerAccount()).isEqualTo("app-user-7101");
        assertThat(f.discount()).isEqualTo(DiscountTerms.ONCE);

        List<LoggedRequest> calls = FIRSTPROMOTER.requests();
        assertThat(calls).extracting(r -> r.getMethod().getName() + " " + r.getUrl()).containsExactly(
                "GET /api/v2/company/commissions?ids%5B%5D=" + id,
                "GET /api/v2/company/rewards?page=1&per_page=100",
                "GET /api/v2/company/promoters/" + PROMOTER);
        for (LoggedRequest call : calls) {
            assertThat(call.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
            assertThat(call.getHeader("Account-ID")).isEqualTo(ACCOUNT);
            assertThat(call.containsHeader("X-API-KEY")).isFalse();
        }
        assertThat(calls.get(0).queryParameter("ids[]").values()).containsExactly(Long.toString(id));
    }

    @Test
    void aPromoterWithoutCustIdIsFoundByEmailAndBooksIntoItsDerivedAccount() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "points", 5, PROMOTER, "old@example.com", null, null, null,
                PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "");

        Fulfilment f = commissions.approvedReward(approval(id, "points", 5), deadline()).fulfilment();

        assertThat(f.custId()).isNull();
        assertThat(f.email()).as("the promoter's own record").isEqualTo("promoter@example.com");
        assertThat(f.ledgerAccount()).isEqualTo("fp-promoter:" + PROMOTER);
    }

    @Test
    void aReferredCustomersRewardGoesToTheReferralWithoutReadingThePromoter() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "promoter@example.com",
                REFERRAL, "customer@example.com", "app-user-552", REFERRAL_REWARD));

        ApprovedReward decided = commissions.approvedReward(approval(id, "credits", 20), deadline());

        assertThat(decided.applies()).isTrue();
        Fulfilment f = decided.fulfilment();
        assertThat(f.recipient()).isEqualTo(Recipient.referral(REFERRAL));
        assertThat(f.custId()).isEqualTo("app-user-552");
        assertThat(f.email()).isEqualTo("customer@example.com");
        assertThat(f.promoterId()).isEqualTo(PROMOTER);
        assertThat(FIRSTPROMOTER.promoterReads(PROMOTER)).isEmpty();
    }

    @Test
    void aReferralWithoutUidBooksIntoTheReferralsDerivedAccount() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "promoter@example.com",
                REFERRAL, "customer@example.com", null, REFERRAL_REWARD));

        Fulfilment f = commissions.approvedReward(approval(id, "credits", 20), deadline()).fulfilment();

        assertThat(f.custId()).isNull();
        assertThat(f.ledgerAccount()).isEqualTo("fp-referral:" + REFERRAL);
    }

    @Test
    void aRewardTheListDoesNotHaveCannotBeToldAndIsThePromoters() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "promoter@example.com",
                REFERRAL, "customer@example.com", "app-user-552", 999L));
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "app-user-7101");

        ApprovedReward decided = commissions.approvedReward(approval(id, "credits", 20), deadline());

        assertThat(decided.applies()).isTrue();
        assertThat(decided.fulfilment().recipient()).isEqualTo(Recipient.promoter(PROMOTER));
        assertThat(decided.fulfilment().custId()).isEqualTo("app-user-7101");
    }

    @Test
    void aCommissionWithoutRewardIsThePromotersAndTheRewardsAreNotRead() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, null, null, REFERRAL, "c@example.com", "u", null));
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "app-user-7101");

        ApprovedReward decided = commissions.approvedReward(approval(id, "credits", 20), deadline());

        assertThat(decided.fulfilment().recipient()).as("the event's promoter, as the commission names none")
                .isEqualTo(Recipient.promoter(PROMOTER));
        assertThat(FIRSTPROMOTER.rewardsReads()).isEmpty();
    }

    @Test
    void firstPromoterDownIsRetryLaterNamingTheCallAndStatus() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommissionAnswer(id, error(503, "Service unavailable", "unavailable"));

        assertThatThrownBy(() -> commissions.approvedReward(approval(id, "credits", 20), deadline()))
                .isInstanceOf(RetryLater.class).hasMessageContaining("503").hasMessageContaining("GET /api/v2/company/commissions");
    }

    @Test
    void aFailingRewardsListIsRetryLater() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "p@example.com", REFERRAL, "c@example.com",
                "u", REFERRAL_REWARD));
        FIRSTPROMOTER.stubRewardsAnswer(error(429, "Too many requests", "rate_limited"));

        assertThatThrownBy(() -> commissions.approvedReward(approval(id, "credits", 20), deadline()))
                .isInstanceOf(RetryLater.class).hasMessageContaining("429").hasMessageContaining("rewards");
    }

    @Test
    void aRefusedKeyIsRetryLaterWithoutTheKey() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommissionAnswer(id, WireMock.aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"Invalid token Bearer " + KEY + "\"}"));

        assertThatThrownBy(() -> commissions.approvedReward(approval(id, "credits", 20), deadline()))
                .isInstanceOf(RetryLater.class).hasMessageContaining("401").hasMessageNotContaining(KEY);
    }

    @Test
    void aTimeoutIsRetryLater() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommissionAnswer(id, WireMock.okJson("[]").withFixedDelay(3000));

        long started = System.nanoTime();
        assertThatThrownBy(() -> commissions.approvedReward(approval(id, "credits", 20), deadline()))
                .isInstanceOf(RetryLater.class).hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("read-timeout 2s").isLessThan(Duration.ofMillis(2900));
    }

    @Test
    void aCommissionTheApiDoesNotKnowIsParked() {
        long absent = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommissionAbsent(absent);
        ApprovedReward notListed = commissions.approvedReward(approval(absent, "credits", 20), deadline());
        assertThat(notListed.parks()).isTrue();
        assertThat(notListed.reason()).contains("commission " + absent + " is unknown to FirstPromoter's API");
        assertThat(notListed.fulfilment().key()).isEqualTo(new FulfilmentKey(Source.COMMISSION, absent));

        long notFound = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommissionAnswer(notFound, error(404, "Record not found", "not_found"));
        ApprovedReward answered404 = commissions.approvedReward(approval(notFound, "credits", 20), deadline());
        assertThat(answered404.parks()).isTrue();
        assertThat(answered404.reason()).contains("404");

        long garbled = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommissionAnswer(garbled, WireMock.ok("<html>maintenance</html>"));
        assertThat(commissions.approvedReward(approval(garbled, "credits", 20), deadline()).reason()).contains("not JSON");
    }

    @Test
    void aCommissionNowDeniedIsIgnored() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "denied", "credits", 20, PROMOTER, "p@example.com", null, null, null,
                PROMOTER_REWARD));

        ApprovedReward decided = commissions.approvedReward(approval(id, "credits", 20), deadline());

        assertThat(decided.ignored()).isTrue();
        assertThat(decided.reason()).contains("denied").contains("late");
        assertThat(FIRSTPROMOTER.promoterReads(PROMOTER)).isEmpty();
    }

    @Test
    void aReferralDiscountWithAProviderCouponIsFirstPromotersOwnToApply() {
        FIRSTPROMOTER.stubRewards(reward(21, false, "discount_per", "STRIPE_COUPON_20", "repeating", 3),
                reward(22, false, "mon_discount", "STRIPE_COUPON_5USD", "once", null));
        for (String unit : List.of("discount_per", "mon_discount")) {
            long id = IDS.incrementAndGet();
            FIRSTPROMOTER.stubCommission(id, commission(id, "approved", unit, 20, PROMOTER, "p@example.com", REFERRAL,
                    "customer@example.com", "app-user-552", "discount_per".equals(unit) ? 21L : 22L));

            ApprovedReward decided = commissions.approvedReward(approval(id, unit, 20), deadline());

            assertThat(decided.ignored()).as(unit).isTrue();
            assertThat(decided.reason()).contains("FirstPromoter gives the referred customer this discount itself")
                    .contains("STRIPE_COUPON_");
        }
    }

    @Test
    void aPromotersPercentageDiscountWithAProviderCouponIsAppliedWithThatCoupon() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubRewards(reward(31, true, "discount_per", "STRIPE_COUPON_PARTNER", "repeating", 3));
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "discount_per", 20, PROMOTER, "p@example.com", null, null, null, 31L));
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "cus_partner");

        ApprovedReward decided = commissions.approvedReward(approval(id, "discount_per", 20), deadline());

        assertThat(decided.applies()).isTrue();
        assertThat(decided.fulfilment().discount()).isEqualTo(new DiscountTerms("STRIPE_COUPON_PARTNER", "repeating", 3));
        assertThat(decided.fulfilment().custId()).isEqualTo("cus_partner");
    }

    @Test
    void aCustIdNamingADerivedAccountOrTooLongIsParked() {
        long reserved = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(reserved, commission(reserved, "approved", "credits", 20, PROMOTER, "p@example.com", null, null,
                null, PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "fp-referral:1");
        ApprovedReward parked = commissions.approvedReward(approval(reserved, "credits", 20), deadline());
        assertThat(parked.parks()).isTrue();
        assertThat(parked.reason()).contains("starts with fp-referral:");

        long tooLong = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(tooLong, commission(tooLong, "approved", "credits", 20, PROMOTER, "p@example.com", REFERRAL,
                "c@example.com", "u".repeat(256), REFERRAL_REWARD));
        ApprovedReward longUid = commissions.approvedReward(approval(tooLong, "credits", 20), deadline());
        assertThat(longUid.parks()).isTrue();
        assertThat(longUid.reason()).contains("longer than 255");
    }

    @Test
    void theSecondApprovalOfAPromoterReadsNeitherThePromoterNorTheRewardsAgainUntilTheTtl() {
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "app-user-7101");
        for (int i = 0; i < 2; i++) {
            long id = IDS.incrementAndGet();
            FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "p@example.com", null, null, null,
                    PROMOTER_REWARD));
            assertThat(commissions.approvedReward(approval(id, "credits", 20), deadline()).applies()).isTrue();
            assertThat(FIRSTPROMOTER.commissionReads(id)).as("commissions are read afresh").hasSize(1);
        }
        assertThat(FIRSTPROMOTER.promoterReads(PROMOTER)).hasSize(1);
        assertThat(FIRSTPROMOTER.rewardsReads()).hasSize(1);

        nanos.addAndGet(Duration.ofMinutes(5).toNanos());
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "p@example.com", null, null, null,
                PROMOTER_REWARD));
        commissions.approvedReward(approval(id, "credits", 20), deadline());
        assertThat(FIRSTPROMOTER.promoterReads(PROMOTER)).as("after cache-ttl").hasSize(2);
        assertThat(FIRSTPROMOTER.rewardsReads()).hasSize(2);
    }

    @Test
    void thePagesReadUpToARewardAreCachedForItButAreNoProofAnotherIsNotInTheList() {
        for (int page = 1; page <= 60; page++) {
            String[] rewards = FirstPromoterStandIn.promoterRewards(100_000L + page * 100L, 100);
            if (page == 3) {
                rewards[10] = reward(REFERRAL_REWARD, false, "credits", null, null, null);
            }
            FIRSTPROMOTER.stubRewardsPage(page, FirstPromoterStandIn.list(FirstPromoterStandIn.ListShape.BARE_ARRAY, rewards), 0);
        }
        FIRSTPROMOTER.stubPromoter(PROMOTER, "promoter@example.com", "app-user-7101");
        for (int i = 0; i < 2; i++) {
            long id = IDS.incrementAndGet();
            FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "p@example.com", REFERRAL,
                    "customer@example.com", "app-user-552", REFERRAL_REWARD));
            assertThat(commissions.approvedReward(approval(id, "credits", 20), deadline()).fulfilment().recipient())
                    .isEqualTo(Recipient.referral(REFERRAL));
        }
        assertThat(FIRSTPROMOTER.rewardsReads()).as("pages 1 to 3, once").hasSize(3);

        // Reward 999 is not in the three pages read: they are not the whole list, so the rest is read, up to 50 pages.
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "p@example.com", REFERRAL,
                "customer@example.com", "app-user-552", 999L));
        ApprovedReward decided = commissions.approvedReward(approval(id, "credits", 20), deadline());

        assertThat(decided.parks()).isTrue();
        assertThat(decided.reason()).contains("runs past 50 pages of 100");
        assertThat(FIRSTPROMOTER.rewardsReads()).hasSize(3 + 50);
        assertThat(FIRSTPROMOTER.promoterReads(PROMOTER)).isEmpty();
    }

    @Test
    void aDeadlineNearlySpentIsRetryLaterWithoutCallingFirstPromoter() {
        long id = IDS.incrementAndGet();
        FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 20, PROMOTER, "p@example.com", null, null, null,
                PROMOTER_REWARD));

        assertThatThrownBy(() -> commissions.approvedReward(approval(id, "credits", 20),
                Deadline.from(System.nanoTime(), Duration.ofMillis(1400))))
                .isInstanceOf(RetryLater.class).hasMessageContaining("no time left");
        assertThat(FIRSTPROMOTER.requests()).isEmpty();
    }

    @Test
    void aFloodOfDistinctPromotersDoesNotGrowTheCachePastItsBound() {
        FIRSTPROMOTER.stubAnyPromoter("promoter@example.com", "");
        for (long promoter = 1; promoter <= 300; promoter++) {
            long id = IDS.incrementAndGet();
            FIRSTPROMOTER.stubCommission(id, commission(id, "approved", "credits", 1, promoter, "p@example.com", null, null, null,
                    PROMOTER_REWARD));
            commissions.approvedReward(approval(id, "credits", 1), deadline());
        }
        assertThat(commissions.cachedPromoters()).isEqualTo(100);
        assertThat(FirstPromoterCommissions.MAX_CACHED).isEqualTo(10_000);

        // And at the production bound, without HTTP: 20,000 distinct ids keep 10,000.
        ExpiringCache<Long, String> cache = new ExpiringCache<>(Duration.ofMinutes(5), FirstPromoterCommissions.MAX_CACHED, System::nanoTime);
        for (long promoter = 1; promoter <= 20_000; promoter++) {
            cache.put(promoter, "promoter " + promoter);
        }
        assertThat(cache.size()).isEqualTo(10_000);
        assertThat(cache.get(1L)).as("the least recently used went first").isNull();
        assertThat(cache.get(20_000L)).isEqualTo("promoter 20000");
    }

    private static CommissionEvent approval(long id, String unit, long amount) {
        return new CommissionEvent("event-" + id, "commission.updated", id, Instant.parse("2026-11-30T10:15:00Z"),
                CommissionEvent.Kind.APPROVAL, unit, BigDecimal.valueOf(amount), "approved", PROMOTER, "event-promoter@example.com",
                REFERRAL, "event-customer@example.com", "event-uid");
    }

    private static Deadline deadline() {
        return Deadline.from(System.nanoTime(), Duration.ofSeconds(9));
    }
}
