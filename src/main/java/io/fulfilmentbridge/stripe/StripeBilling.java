package io.fulfilmentbridge.stripe;

import com.stripe.model.Customer;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import io.fulfilmentbridge.billing.BillingGrant;
import io.fulfilmentbridge.billing.BillingGrants;
import io.fulfilmentbridge.billing.BillingSystem;
import io.fulfilmentbridge.billing.CustomerGrants;
import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.billing.GrantSteps;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.Unit;
import static io.fulfilmentbridge.billing.BillingGrant.DISCOUNT_PER;
import static io.fulfilmentbridge.billing.BillingGrant.MON_DISCOUNT;
import static io.fulfilmentbridge.stripe.StripeSettings.TRIAL_EXTENSION;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The billing port's Stripe adapter: free months and discounts in Stripe (docs/promises.md), on the
 * shared template ({@link CustomerGrants}: the customer, its lock, its lost grants settled, then this
 * grant once, stored in billing_grants). Stripe's steps: the customer and the subscription, the trial
 * extended or the balance credited or the coupon added under Stripe's idempotency key with the
 * grant's marker, and a lost grant settled from that marker alone.
 */
@Component("billing")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "stripe", matchIfMissing = true)
public class StripeBilling implements BillingSystem {

    static final String SYSTEM = "stripe";
    // Stripe accepts a trial end at most two years ahead.
    private static final Duration TRIAL_LIMIT = Duration.ofDays(730);
    private static final String TRIAL_BEYOND_LIMIT = "the extended trial would end beyond Stripe's limit of two years ahead";

    private final StripeCalls stripe;
    private final StripeSubscriptions subscriptions;
    private final StripeCoupons coupons;
    private final CustomerGrants customerGrants;
    private final BillingGrants grants;
    private final String strategy;
    private final String metadataKey;
    private final Duration idempotencyWindow;

    public StripeBilling(StripeCalls stripe, CustomerGrants customerGrants, BillingGrants grants, StripeSettings settings) {
        this.stripe = stripe;
        this.subscriptions = new StripeSubscriptions(stripe);
        this.coupons = new StripeCoupons(stripe, subscriptions);
        this.customerGrants = customerGrants;
        this.grants = grants;
        this.strategy = settings.freeMonthsStrategy();
        this.metadataKey = settings.customerMetadataKey();
        this.idempotencyWindow = settings.idempotencyWindow();
    }

    @Override
    public GrantResult grantFreeMonths(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        return grantOnce(f, claim, deadline, false);
    }

    @Override
    public GrantResult grantDiscount(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        DiscountTerms terms = f.discount();
        if (f.unitKind() == Unit.DISCOUNT_PER && !terms.namesProviderCoupon() && !terms.valid()) {
            // Checked before Stripe is asked: no coupon of these terms can exist.
            return GrantResult.parked("the reward's discount duration (" + terms.duration()
                    + (terms.durationInMonths() == null ? "" : ", " + terms.durationInMonths() + " months")
                    + ") is not one a Stripe coupon can have: once, forever, or repeating for 1 to 36 months");
        }
        return grantOnce(f, claim, deadline, true);
    }

    private GrantResult grantOnce(Fulfilment f, Claim claim, Deadline deadline, boolean discount)
            throws InterruptedException {
        if (!stripe.isConfigured()) {
            return GrantResult.parked("Stripe not configured (bridge.stripe.api-key)");
        }
        return customerGrants.grantOnce(SYSTEM, f, claim, deadline, new Steps(discount));
    }

    /**
     * One grant's steps. The customer's answer (its balance currency, the subscriptions it embedded)
     * is kept for the plan, and the subscription planned on for the first send (a coupon is merged
     * with its discounts): Stripe is not asked twice for what one grant reads.
     */
    private final class Steps implements GrantSteps {

        private final boolean discount;
        private CustomerMatch customer;
        private Subscription planned;

        Steps(boolean discount) {
            this.discount = discount;
        }

        @Override
        public boolean fenced() {
            return false;
        }

        @Override
        public CustomerFound customer(Fulfilment f, Deadline deadline) {
            customer = StripeBilling.this.customer(f, deadline);
            return customer.parkReason() != null ? CustomerFound.none(customer.parkReason())
                    : CustomerFound.found(customer.customerId());
        }

        @Override
        public Plan plan(Fulfilment f, String customerId, Deadline deadline) {
            CustomerMatch read = customer != null ? customer : CustomerMatch.known(customerId);
            // The subscriptions were read before the lock: a grant to this customer since then (another
            // instance's, or one settled just now) may have changed them, so they are read again.
            if (read.subscriptions() != null && grants.changedSince(SYSTEM, customerId, read.readAt())) {
                read = read.withoutSubscriptions();
            }
            Optional<Subscription> chosen = subscriptions.grantable(customerId, read.subscriptions(), deadline);
            if (chosen.isEmpty()) {
                return Plan.park("no active subscription for Stripe customer " + customerId);
            }
            planned = chosen.get();
            return discount ? planDiscount(f, read, planned, deadline) : planFreeMonths(f, customerId, planned, deadline);
        }

        @Override
        public void send(BillingGrant grant, Deadline deadline) {
            StripeBilling.this.send(grant, planned, deadline);
        }

        @Override
        public Settled settle(BillingGrant grant, Deadline deadline) {
            return StripeBilling.this.settle(grant, deadline);
        }
    }

    private GrantSteps.Plan planFreeMonths(Fulfilment f, String customerId, Subscription subscription, Deadline deadline) {
        int months = f.amount().intValueExact();
        List<SubscriptionItem> items = subscriptions.allItems(subscription, deadline);
        if (strategy.equals(TRIAL_EXTENSION)) {
            long now = Instant.now().getEpochSecond();
            long trialEnd = FreeMonthsArithmetic.trialEnd(now, subscription.getTrialEnd(),
                    StripeSubscriptions.periodEnds(items), months);
            if (trialEnd - now > TRIAL_LIMIT.toSeconds()) {
                return GrantSteps.Plan.park(TRIAL_BEYOND_LIMIT);
            }
            Instant target = Instant.ofEpochSecond(trialEnd);
            return GrantSteps.Plan.send(BillingGrant.toSend(f.key(), SYSTEM, customerId, subscription.getId(), strategy,
                    months, null, target, null, null),
                    months + " free month(s): trial of " + subscription.getId() + " extended to " + target);
        }
        StripeSubscriptions.PriceOfMonths price = StripeSubscriptions.priceOfMonths(subscription.getId(), items, months);
        if (price.parkReason() != null) {
            return GrantSteps.Plan.park(price.parkReason());
        }
        return GrantSteps.Plan.send(BillingGrant.toSend(f.key(), SYSTEM, customerId, subscription.getId(), strategy, months,
                null, null, price.amount(), price.currency()),
                months + " free month(s): " + price.amount() + " " + price.currency() + " credited to " + customerId);
    }

    /**
     * mon_discount, a credit of that many cents in the subscription's currency, which must be the
     * customer's balance currency where Stripe has one; discount_per, the percentage's coupon added to
     * the subscription beside its discounts.
     */
    private GrantSteps.Plan planDiscount(Fulfilment f, CustomerMatch customer, Subscription subscription, Deadline deadline) {
        String customerId = customer.customerId();
        String customerCurrency = customer.currency();
        long amount = f.amount().longValueExact();
        if (f.unitKind() == Unit.MON_DISCOUNT) {
            String currency = subscriptions.currencyOf(subscription, deadline);
            if (currency == null) {
                return GrantSteps.Plan.park("a currency mismatch: the items of subscription " + subscription.getId()
                        + " are in several currencies, or none");
            }
            if (customerCurrency != null && !customerCurrency.equalsIgnoreCase(currency)) {
                // Stripe keeps one balance per customer, in the customer's currency.
                return GrantSteps.Plan.park("a currency mismatch: the balance of Stripe customer " + customerId + " is in "
                        + customerCurrency + ", subscription " + subscription.getId() + " is in " + currency);
            }
            return GrantSteps.Plan.send(BillingGrant.toSend(f.key(), SYSTEM, customerId, subscription.getId(), MON_DISCOUNT,
                    0, null, null, amount, currency),
                    "discount: " + amount + " " + currency + " (minor units) credited to " + customerId);
        }
        String couponId;
        try {
            couponId = f.discount().namesProviderCoupon()
                    ? coupons.providerCoupon(f.discount().providerCouponId(), amount, subscription, deadline)
                    : coupons.percentCoupon(f, amount, deadline);
        } catch (StripeRefused refused) {
            return GrantSteps.Plan.park(refused.getMessage());
        }
        return GrantSteps.Plan.send(BillingGrant.toSend(f.key(), SYSTEM, customerId, subscription.getId(), DISCOUNT_PER, 0,
                null, null, null, null, couponId),
                "discount: coupon " + couponId + (f.discount().namesProviderCoupon()
                        ? ", which FirstPromoter's reward names," : " (" + amount + "% off)") + " added to " + subscription.getId());
    }

    /**
     * Reads Stripe to tell whether a grant whose answer was lost took effect, from the marker only its
     * own request can have left (docs/promises.md, "What proves a lost grant landed"), and sends it
     * again only if it did not. Throws StripeRefused when Stripe refuses what is sent again.
     */
    private GrantSteps.Settled settle(BillingGrant grant, Deadline deadline) {
        if (grant.kind().equals(TRIAL_EXTENSION)) {
            Subscription subscription = stripe.subscription(grant.subscriptionId(), deadline.remainingMillis());
            if (StripeCalls.carriesGrant(subscription, grant.key())) {
                return GrantSteps.Settled.TOOK_EFFECT;
            }
            String parkReason = extendTrialAgain(grant, subscription, deadline);
            return parkReason == null ? GrantSteps.Settled.SENT_AGAIN : GrantSteps.Settled.park(parkReason);
        }
        if (grant.kind().equals(DISCOUNT_PER)) {
            Subscription subscription = stripe.subscription(grant.subscriptionId(), deadline.remainingMillis());
            if (StripeCalls.carriesGrant(subscription, grant.key())) {
                return GrantSteps.Settled.TOOK_EFFECT;
            }
            // Merged again with the discounts the subscription has now.
            send(withinIdempotencyWindow(grant) ? grant : grants.recordNextKey(grant, null, null), subscription, deadline);
            return GrantSteps.Settled.SENT_AGAIN;
        }
        if (stripe.hasBalanceCredit(grant.customerId(), grant.key(), grant.storedAt(), () -> deadline.remainingMillis())) {
            return GrantSteps.Settled.TOOK_EFFECT;
        }
        send(withinIdempotencyWindow(grant) ? grant : grants.recordNextKey(grant, null, null), null, deadline);
        return GrantSteps.Settled.SENT_AGAIN;
    }

    /** Stripe keeps an idempotency key 24 hours: within the window the key still guards the first send. */
    private boolean withinIdempotencyWindow(BillingGrant grant) {
        return Instant.now().isBefore(grant.keySentAt().plus(idempotencyWindow));
    }

    /**
     * A trial extension that did not take effect, sent again: within the window the same request
     * with the same key, unless the trial already ends at or past its target (someone else moved it:
     * sending it would shorten the trial or grant nothing); after it, under the next key with the
     * target recomputed from the subscription as it is now, so the trial never moves back. Returns why
     * it is parked, or null once sent.
     */
    private String extendTrialAgain(BillingGrant grant, Subscription subscription, Deadline deadline) {
        if (withinIdempotencyWindow(grant)) {
            Long trialEnd = subscription.getTrialEnd();
            if (trialEnd != null && trialEnd >= grant.targetAt().getEpochSecond()) {
                // Parked, not re-sent: the same request would shorten the trial, another one could not
                // use the same key. A replay grants from the new end (after the key's 24 h if Stripe holds it).
                return "free months not granted: the request to extend the trial of " + grant.subscriptionId() + " to "
                        + grant.targetAt() + " got no answer and did not take effect, and the trial "
                        + "now ends " + Instant.ofEpochSecond(trialEnd) + " (set by someone else); sending it again would not "
                        + "add " + grant.months() + " month(s). Replay to grant them from the new end (if Stripe refuses the "
                        + "reused idempotency key, after " + grant.keySentAt().plus(Duration.ofHours(24)) + ")";
            }
            send(grant, null, deadline);
            return null;
        }
        long now = Instant.now().getEpochSecond();
        long target = FreeMonthsArithmetic.trialEnd(now, subscription.getTrialEnd(),
                StripeSubscriptions.periodEnds(subscriptions.allItems(subscription, deadline)), grant.months());
        if (target - now > TRIAL_LIMIT.toSeconds()) {
            return TRIAL_BEYOND_LIMIT;
        }
        send(grants.recordNextKey(grant, null, Instant.ofEpochSecond(target)), null, deadline);
        return null;
    }

    /**
     * Sends the grant's request, recorded as a send (billing_sends); a discount-per grant is merged with
     * the subscription as read (its discounts).
     */
    private void send(BillingGrant grant, Subscription subscription, Deadline deadline) {
        customerGrants.send(grant, () -> {
            long remaining = deadline.remainingMillis();
            switch (grant.kind()) {
                case TRIAL_EXTENSION -> stripe.extendTrial(grant.key(), grant.subscriptionId(),
                        grant.targetAt().getEpochSecond(), grant.keyGeneration(), remaining);
                case DISCOUNT_PER -> stripe.addDiscount(grant.key(), grant.subscriptionId(),
                        subscription.getDiscounts() == null ? List.of() : subscription.getDiscounts(), grant.couponId(),
                        grant.keyGeneration(), remaining);
                case MON_DISCOUNT -> stripe.creditBalance(grant.key(), grant.customerId(), grant.creditAmount(),
                        grant.currency(), "FirstPromoter reward: discount", grant.keyGeneration(), remaining);
                default -> stripe.creditBalance(grant.key(), grant.customerId(), grant.creditAmount(),
                        grant.currency(), "FirstPromoter reward: " + grant.months() + " free month"
                                + (grant.months() == 1 ? "" : "s"), grant.keyGeneration(), remaining);
            }
        });
    }

    /**
     * The customer found, or why none is. currency: its balance currency (null when Stripe has none
     * yet, or the customer was not read). subscriptions: those its answer embedded, read at readAt;
     * null when the list call is needed.
     */
    private record CustomerMatch(String customerId, String currency, List<Subscription> subscriptions, Instant readAt,
                                 String parkReason) {

        static CustomerMatch found(Customer customer, Instant readAt) {
            return new CustomerMatch(customer.getId(), customer.getCurrency(), StripeCalls.embeddedSubscriptions(customer),
                    readAt, null);
        }

        /** A customer not read now: an earlier grant's. */
        static CustomerMatch known(String customerId) {
            return new CustomerMatch(customerId, null, null, null, null);
        }

        static CustomerMatch none(String parkReason) {
            return new CustomerMatch(null, null, null, null, parkReason);
        }

        CustomerMatch withoutSubscriptions() {
            return new CustomerMatch(customerId, currency, null, null, null);
        }
    }

    /** A cus_ id is the customer; another cust_id is looked up in metadata; else the email. */
    private CustomerMatch customer(Fulfilment f, Deadline deadline) {
        String custId = f.custId();
        Instant readAt = Instant.now();
        if (custId != null && custId.startsWith("cus_")) {
            try {
                Customer customer = stripe.customer(custId, deadline.remainingMillis());
                if (Boolean.TRUE.equals(customer.getDeleted())) {
                    return CustomerMatch.none("Stripe customer " + custId + " is deleted");
                }
                return CustomerMatch.found(customer, readAt);
            } catch (StripeRefused unknown) {
                return CustomerMatch.none("no Stripe customer " + custId + ": " + unknown.getMessage());
            }
        }
        if (custId != null) {
            List<Customer> found = stripe.customersWithMetadata(metadataKey, custId, deadline.remainingMillis());
            if (found.size() > 1) {
                return CustomerMatch.none("several Stripe customers have metadata " + metadataKey + " = " + custId);
            }
            if (found.size() == 1) {
                return CustomerMatch.found(found.get(0), readAt);
            }
        }
        if (f.email() == null) {
            return CustomerMatch.none("no Stripe customer: no cust_id match and no promoter email");
        }
        List<Customer> found = stripe.customersWithEmail(f.email(), deadline.remainingMillis());
        if (found.size() == 1) {
            return CustomerMatch.found(found.get(0), readAt);
        }
        return CustomerMatch.none(found.isEmpty()
                ? "no Stripe customer with the promoter's email"
                : "several Stripe customers have the promoter's email");
    }
}
