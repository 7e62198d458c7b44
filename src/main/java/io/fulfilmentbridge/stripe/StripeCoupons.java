package io.fulfilmentbridge.stripe;

import com.stripe.model.Coupon;
import com.stripe.model.Subscription;
import com.stripe.param.CouponCreateParams;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The coupon a discount-per grant adds: the bridge's own of the reward's terms, created once, or the
 * one FirstPromoter's reward names, used as Stripe has it. Terms that disagree with the reward's are
 * StripeRefused (the grant is parked with the message).
 */
final class StripeCoupons {

    private final StripeCalls stripe;
    private final StripeSubscriptions subscriptions;

    StripeCoupons(StripeCalls stripe, StripeSubscriptions subscriptions) {
        this.stripe = stripe;
        this.subscriptions = subscriptions;
    }

    /**
     * The bridge's own coupon of the reward's percentage and duration, created once under an id derived
     * from both and reused. A legacy fulfilment_pending delivery names no duration (its data.reward has
     * id, amount, type, unit, name, per_of_sale, default_promo_code): {@link DiscountTerms#ONCE}, whose
     * id, firstpromoter-15-percent-once, is the one the bridge always made for it.
     */
    String percentCoupon(Fulfilment f, long percent, Deadline deadline) {
        DiscountTerms terms = f.discount();
        CouponCreateParams.Duration duration = CouponCreateParams.Duration.valueOf(terms.duration().toUpperCase(Locale.ROOT));
        Long months = terms.durationInMonths() == null ? null : terms.durationInMonths().longValue();
        String couponId = "firstpromoter-" + percent + "-percent-" + terms.label();
        Optional<Coupon> existing = stripe.coupon(couponId, deadline.remainingMillis());
        if (existing.isEmpty()) {
            String name = "FirstPromoter reward: " + percent + "% off" + switch (duration) {
                case FOREVER -> " forever";
                case REPEATING -> " for " + months + " months";
                default -> "";
            };
            stripe.createCoupon(couponId, percent, duration, months, name, f.key(), deadline.remainingMillis());
            return couponId;
        }
        Coupon coupon = existing.get();
        if (coupon.getPercentOff() == null || coupon.getPercentOff().compareTo(BigDecimal.valueOf(percent)) != 0
                || !duration.getValue().equals(coupon.getDuration()) || !Objects.equals(months, coupon.getDurationInMonths())) {
            // Someone made a coupon of this id by hand: its terms are not this reward's.
            throw new StripeRefused("Stripe coupon " + couponId + " exists with other terms (percent_off "
                    + coupon.getPercentOff() + ", duration " + coupon.getDuration()
                    + (coupon.getDurationInMonths() == null ? "" : ", duration_in_months " + coupon.getDurationInMonths())
                    + ") than the reward's (percent_off " + percent + ", duration " + duration.getValue()
                    + (months == null ? "" : ", duration_in_months " + months) + ")");
        }
        return couponId;
    }

    /**
     * The coupon FirstPromoter's reward names (its provider coupon), used as Stripe has it and never
     * created: FirstPromoter or the team made it, and its terms must agree with the reward's.
     */
    String providerCoupon(String couponId, long percent, Subscription subscription, Deadline deadline) {
        Optional<Coupon> found = stripe.coupon(couponId, deadline.remainingMillis());
        if (found.isEmpty() || Boolean.TRUE.equals(found.get().getDeleted())) {
            throw new StripeRefused("Stripe has no coupon " + couponId + ", which FirstPromoter's reward names");
        }
        Coupon coupon = found.get();
        if (coupon.getAmountOff() != null) {
            String currency = subscriptions.currencyOf(subscription, deadline);
            if (coupon.getCurrency() == null || !coupon.getCurrency().equalsIgnoreCase(currency)) {
                throw new StripeRefused("a currency mismatch: Stripe coupon " + couponId + ", which FirstPromoter's reward "
                        + "names, takes " + coupon.getAmountOff() + " " + coupon.getCurrency() + " (minor units) off, and "
                        + "subscription " + subscription.getId() + " is in "
                        + (currency == null ? "several currencies, or none" : currency));
            }
        } else if (coupon.getPercentOff() == null || coupon.getPercentOff().compareTo(BigDecimal.valueOf(percent)) != 0) {
            throw new StripeRefused("Stripe coupon " + couponId + ", which FirstPromoter's reward names, takes "
                    + coupon.getPercentOff() + "% off, and the reward is " + percent + "%");
        }
        return couponId;
    }
}
