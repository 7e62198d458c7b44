package io.fulfilmentbridge.fulfilment;

/**
 * What FirstPromoter's v2 reward says of a percentage discount (docs/promises.md, Discount terms): the coupon it names in the
 * billing system (its provider coupon), and how long the discount lasts. A legacy delivery carries
 * neither: {@link #ONCE}, a coupon the bridge makes for one invoice.
 *
 * @param providerCouponId the billing system's coupon to add, or null to use the bridge's own
 * @param duration once, forever or repeating
 * @param durationInMonths for repeating only: how many months
 */
public record DiscountTerms(String providerCouponId, String duration, Integer durationInMonths) {

    public static final DiscountTerms ONCE = new DiscountTerms(null, "once", null);
    /** The most months a repeating coupon of the bridge's own can last (Stripe's limit). */
    public static final int MAX_MONTHS = 36;
    /** The columns' sizes (fulfilments.provider_coupon_id, discount_duration). */
    static final int MAX_COUPON_ID = 255;
    static final int MAX_LABEL = 32;

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
                || ("repeating".equals(duration) && durationInMonths != null && durationInMonths >= 1 && durationInMonths <= MAX_MONTHS);
    }

    /**
     * Why these terms, as FirstPromoter's reward gave them, cannot be applied or stored, or null: a
     * duration FirstPromoter's schema does not have, a repeating one without a whole number of months
     * from 1 (and, for the bridge's own coupon, at most 36), or a provider coupon id no column holds.
     */
    public String unusable() {
        if (providerCouponId != null && (providerCouponId.length() > MAX_COUPON_ID || providerCouponId.indexOf('\u0000') >= 0)) {
            return "discount whose provider_coupon_id is longer than " + MAX_COUPON_ID + " characters or holds a NUL character";
        }
        if (!"once".equals(duration) && !"forever".equals(duration) && !"repeating".equals(duration)) {
            return "discount whose duration " + printable(duration, MAX_LABEL) + " is not once, forever or repeating";
        }
        if ("repeating".equals(duration) && durationInMonths == null) {
            return "repeating discount whose duration_in_months is missing or not a whole number";
        }
        if ("repeating".equals(duration) && (durationInMonths < 1 || (!namesProviderCoupon() && durationInMonths > MAX_MONTHS))) {
            return "repeating discount whose duration_in_months " + durationInMonths + " is not from 1 to " + MAX_MONTHS;
        }
        return null;
    }

    /**
     * These terms as the columns hold them, for a record parked because they are {@link #unusable()}: a
     * coupon id or duration too long for its column, or holding what the database cannot, is cut.
     */
    public DiscountTerms storable() {
        return new DiscountTerms(providerCouponId == null ? null : printable(providerCouponId, MAX_COUPON_ID),
                printable(duration, MAX_LABEL), durationInMonths);
    }

    private static String printable(String text, int max) {
        String cut = text.length() > max ? text.substring(0, max) : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** As a coupon id and the column write it: once, forever, or repeating-3 (repeating alone when it has no months). */
    public String label() {
        return "repeating".equals(duration) && durationInMonths != null ? "repeating-" + durationInMonths : duration;
    }

    /** The terms a column label wrote (null: once); an earlier version's repeating-null is repeating without months. */
    public static DiscountTerms ofColumns(String providerCouponId, String label) {
        if (label != null && (label.equals("repeating") || label.startsWith("repeating-"))) {
            String months = label.substring("repeating".length());
            return new DiscountTerms(providerCouponId, "repeating",
                    months.matches("-[0-9]{1,9}|--[0-9]{1,9}") ? Integer.valueOf(months.substring(1)) : null);
        }
        return new DiscountTerms(providerCouponId, label, null);
    }
}
