package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;

/**
 * The billing port: what the free-months and discounts routes need from the subscription billing system the team
 * uses (bridge.billing.system). The bean named "billing" is the chosen system's adapter; Stripe's is
 * {@code io.fulfilmentbridge.stripe.StripeBilling}. Another system is one new package implementing
 * this, and one value of that setting.
 *
 * <p>What an adapter must hold (docs/promises.md): find the customer the fulfilment names (by its
 * billing id, by the app's id, by email; none or several is a reason to park) and the subscription
 * to grant on; apply the months exactly once, with the system's idempotency key and a marker that
 * only this grant can leave; one grant per customer at a time; before a new one, settle the
 * customer's grants whose answer was lost by reading the system, sending again only what did not
 * take effect; every call bounded by the deadline. The claimed fulfilment is marked granted (through
 * {@code FulfilmentLifecycle}) in the same step that records the grant applied.
 */
public interface BillingSystem {

    /**
     * Grants the fulfilment's free months: granted, or why it cannot be (to park); never null. Throws
     * RetryLater on a transient failure, BillingRefused when the system refuses the request as asked.
     */
    GrantResult grantFreeMonths(Fulfilment fulfilment, Claim claim, Deadline deadline) throws InterruptedException;

    /**
     * Applies the fulfilment's discount to the same customer free months go to, with the same rules
     * (once, one grant per customer at a time, settled by reading, bounded by the deadline):
     * mon_discount, its amount in cents of the subscription's currency credited to the customer;
     * discount_per, a coupon of that percentage added to the subscription, keeping every discount it
     * had. Granted, or why it cannot be (to park: no subscription, a currency the system cannot use, a
     * system without coupons). Throws RetryLater on a transient failure.
     */
    GrantResult grantDiscount(Fulfilment fulfilment, Claim claim, Deadline deadline) throws InterruptedException;
}
