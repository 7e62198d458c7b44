package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.SettingChecks.atLeast;
import static io.fulfilmentbridge.fulfilment.SettingChecks.between;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notBlank;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.math.BigDecimal;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How deliveries are answered, claimed and grouped, and the largest rewards applied.
 *
 * @param answerWithin every delivery is answered within this time of its arrival: waits on Stripe, the
 *        database and other deliveries of the same fulfilment are cut to what is left of it
 * @param claimLease how long a delivery holds a fulfilment (or a Stripe customer) while applying it; a
 *        crashed holder's claim is taken over after this
 * @param stuckAfter a RECEIVED fulfilment whose lease ran out this long ago is listed as stuck, counted
 *        in the parked gauges and can be replayed
 * @param limits upper bounds of one reward; above them it is parked
 * @param groupCommit claims (and credit and point grants) of deliveries that arrive together are
 *        committed in one transaction
 * @param routes where the Camel YAML route files are read from (classpath:routes is the jar's copy;
 *        file:/some/dir runs edited copies)
 * @param eventRetention how long a webhooks v2 event's answer is kept, to answer it again at once when
 *        FirstPromoter re-sends it; at least 30 days (docs/promises.md, Webhooks v2 events)
 */
@ConfigurationProperties("bridge")
public record FulfilmentSettings(
        @DefaultValue("9s") Duration answerWithin,
        @DefaultValue("15s") Duration claimLease,
        @DefaultValue("1h") Duration stuckAfter,
        @DefaultValue Limits limits,
        @DefaultValue GroupCommit groupCommit,
        @DefaultValue("classpath:routes") String routes,
        @DefaultValue("30d") Duration eventRetention) {

    /** An event's answer is kept at least this long (docs/promises.md, Webhooks v2 events). */
    static final Duration SHORTEST_EVENT_RETENTION = Duration.ofDays(30);

    public FulfilmentSettings {
        if (eventRetention == null || eventRetention.compareTo(SHORTEST_EVENT_RETENTION) < 0) {
            throw new IllegalArgumentException("bridge.event-retention must be at least 30d: a webhooks v2 event's answer is kept "
                    + "at least that long, to answer the event again if it is re-sent");
        }
        positive(answerWithin, "bridge.answer-within");
        positive(claimLease, "bridge.claim-lease");
        positive(stuckAfter, "bridge.stuck-after");
        notBlank(routes, "bridge.routes");
    }

    /**
     * Upper bounds of one reward: one above them is parked for a person.
     *
     * @param freeMonths the most free months one reward may grant
     * @param credits the most credits one reward may grant
     * @param cashCents the largest cash payout of one reward, in cents
     * @param discountCents the largest fixed discount (mon_discount) of one reward, in cents of the subscription's currency
     * @param discountPercent the largest percentage discount (discount_per) of one reward, 1 to 100
     */
    public record Limits(
            @DefaultValue("24") int freeMonths,
            @DefaultValue("100000") BigDecimal credits,
            @DefaultValue("1000000") long cashCents,
            @DefaultValue("100000") long discountCents,
            @DefaultValue("100") int discountPercent) {

        public Limits {
            atLeast(freeMonths, 1, "bridge.limits.free-months");
            if (credits == null || credits.signum() <= 0) {
                throw new IllegalArgumentException("bridge.limits.credits must be more than 0, was " + credits);
            }
            atLeast(cashCents, 1, "bridge.limits.cash-cents");
            atLeast(discountCents, 1, "bridge.limits.discount-cents");
            between(discountPercent, 1, 100, "bridge.limits.discount-percent");
        }
    }

    /**
     * Group commit, for the claims and for the credit and point grants (CreditLedger) each.
     *
     * @param batchSize the most claims (or grants) committed in one transaction
     * @param committers how many such transactions run at a time
     */
    public record GroupCommit(
            @DefaultValue("100") int batchSize,
            @DefaultValue("2") int committers) {

        public GroupCommit {
            atLeast(batchSize, 1, "bridge.group-commit.batch-size");
            atLeast(committers, 1, "bridge.group-commit.committers");
        }
    }
}
