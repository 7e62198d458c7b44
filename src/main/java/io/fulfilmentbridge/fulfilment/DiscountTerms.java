package io.fulfilmentbridge.fulfilment;

/**
 * What FirstPromoter's v2 reward says of a percentage discount (contract 10): the coupon it names in the
 * billing system (its provider coupon), and how long the discount lasts. A legacy delivery carries
 * neither: {@link #ONCE}, a coupon the bridge makes for one invoice.
 *
 * @param providerCouponId the billing system's coupon to add, or null to use the bridge's own
 * @param duration once, forever or repeating
 * @param durationInMonths for repeating only: how many months
 */
public record DiscountTerms(String providerCouponId, String duration, Integer durationInMonths) {

    public static final DiscountTerms ONCE = new DiscountTerms(null, "once", null);

    public DiscountTerms {
        if (providerCouponId != null && providerCouponId.isBlank()) {
            providerCouponId = null;
        }
        if (duration == null || duration.isBlank()) {
            duration = "once";
        }
        if (!"repeating".equals(duration)) {
            durationInMonths = null;
        }
    }

    public boolean namesProviderCoupon() {
        return providerCouponId != null;
    }

    /** A duration a coupon can have: once, forever, or repeating for 1 to 36 months. */
    public boolean valid() {
        return "once".equals(duration) || "forever".equals(duration)
                || ("repeating".equals(duration) && durationInMonths != null && durationInMonths >= 1 && durationInMonths <= 36);
    }

    /** As a coupon id and the column write it: once, forever, or repeating-3. */
    public String label() {
        return "repeating".equals(duration) ? "repeating-" + durationInMonths : duration;
    }

    /** The terms a column label wrote (null: once). */
    public static DiscountTerms ofColumns(String providerCouponId, String label) {
        if (label != null && label.startsWith("repeating-")) {
            return new DiscountTerms(providerCouponId, "repeating", Integer.valueOf(label.substring("repeating-".length())));
        }
        return new DiscountTerms(providerCouponId, label, null);
    }
}
