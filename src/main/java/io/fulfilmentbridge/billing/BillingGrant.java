package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Source;
import java.time.Instant;

/**
 * A grant in a billing system, as stored before it is sent: SENT (its answer may have been lost) or
 * APPLIED. baseAt is the subscription's next billing date (or term end) as read before the write
 * (null where the system does not need it: Stripe), targetAt the date the write sets (Stripe: the
 * trial's end); both null for a credit. couponId is the coupon a discount-per grant adds (Stripe), else
 * null. keyGeneration says which idempotency key it was last sent with, keySentAt when that key was
 * first sent, storedAt when the grant was first stored (before its first send).
 */
public record BillingGrant(FulfilmentKey key, String system, String customerId, String subscriptionId, String kind,
                           int months, Instant baseAt, Instant targetAt, Long creditAmount, String currency,
                           String couponId, String state, int keyGeneration, Instant keySentAt, Instant storedAt) {

    public static final String FREE_MONTHS = "free-months";
    public static final String MON_DISCOUNT = "mon-discount";
    public static final String DISCOUNT_PER = "discount-per";

    /** A grant to store and send: SENT under its first key. */
    public static BillingGrant toSend(FulfilmentKey key, String system, String customerId, String subscriptionId,
                                      String kind, int months, Instant baseAt, Instant targetAt, Long creditAmount,
                                      String currency) {
        return toSend(key, system, customerId, subscriptionId, kind, months, baseAt, targetAt, creditAmount, currency, null);
    }

    /** A grant to store and send that adds a coupon (or names none: null). */
    public static BillingGrant toSend(FulfilmentKey key, String system, String customerId, String subscriptionId,
                                      String kind, int months, Instant baseAt, Instant targetAt, Long creditAmount,
                                      String currency, String couponId) {
        return new BillingGrant(key, system, customerId, subscriptionId, kind, months, baseAt, targetAt, creditAmount,
                currency, couponId, "SENT", 1, null, null);
    }

    public boolean applied() {
        return "APPLIED".equals(state);
    }

    /**
     * The value this grant's own request writes into the system where it can carry one:
     * fulfilment-&lt;id&gt; for a legacy fulfilment, commission-&lt;id&gt; for a v2 commission, so the two never meet.
     */
    public String marker() {
        return (key.source() == Source.COMMISSION ? "commission-" : "fulfilment-") + key.id();
    }

    /** The idempotency key of the key generation it is sent under: the marker, then -2, -3... */
    public String idempotencyKey() {
        return marker() + (keyGeneration > 1 ? "-" + keyGeneration : "");
    }
}
