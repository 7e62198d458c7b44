package io.fulfilmentbridge.stripe;

import com.stripe.model.Coupon;
import com.stripe.model.Customer;
import com.stripe.model.Price;
import com.stripe.model.StripeCollection;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.param.CouponCreateParams;
import io.fulfilmentbridge.billing.BillingSystem;
import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DiscountTerms;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.stripe.FreeMonthsArithmetic.PricedItem;
import io.fulfilmentbridge.stripe.StripeGrants.Grant;
import static io.fulfilmentbridge.stripe.StripeSettings.TRIAL_EXTENSION;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The billing port's Stripe adapter: free months (contract section 4) and discounts (section 10) in
 * Stripe. Finds the customer and the subscription, then grants, one grant per customer at a time.
 * Before anything touches a customer, its grants whose answer was lost are settled by reading Stripe,
 * and re-sent only if they did not take effect.
 */
@Component("billing")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "stripe", matchIfMissing = true)
public class StripeBilling implements BillingSystem {

    private static final Logger LOG = LoggerFactory.getLogger(StripeBilling.class);
    private static final Set<String> GRANTABLE = Set.of("active", "trialing", "past_due");
    // Stripe accepts a trial end at most two years ahead.
    private static final Duration TRIAL_LIMIT = Duration.ofDays(730);
    // The strategies of discount grants (contract 10), stored beside free months' (VARCHAR(32)).
    static final String MON_DISCOUNT = "mon-discount";
    static final String DISCOUNT_PER = "discount-per";
    private static final String TRIAL_BEYOND_LIMIT = "the extended trial would end beyond Stripe's limit of two years ahead";

    private final StripeCalls stripe;
    private final StripeGrants grants;
    private final FulfilmentLifecycle records;
    private final TransactionTemplate transaction;
    private final String strategy;
    private final String metadataKey;
    private final Duration idempotencyWindow;

    public StripeBilling(StripeCalls stripe, StripeGrants grants, FulfilmentLifecycle records, TransactionTemplate transaction,
                         StripeSettings settings) {
        this.stripe = stripe;
        this.grants = grants;
        this.records = records;
        this.transaction = transaction;
        this.strategy = settings.freeMonthsStrategy();
        this.metadataKey = settings.customerMetadataKey();
        this.idempotencyWindow = settings.idempotencyWindow();
    }

    @Override
    public GrantResult grantFreeMonths(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        return grantOnce(f, claim, deadline, this::newFreeMonths);
    }

    @Override
    public GrantResult grantDiscount(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        DiscountTerms terms = f.discount();
        if ("discount_per".equals(f.unit()) && !terms.namesProviderCoupon() && !terms.valid()) {
            // Checked before Stripe is asked: no coupon of these terms can exist.
            return GrantResult.parked("the reward's discount duration (" + terms.duration()
                    + (terms.durationInMonths() == null ? "" : ", " + terms.durationInMonths() + " months")
                    + ") is not one a Stripe coupon can have: once, forever, or repeating for 1 to 36 months");
        }
        return grantOnce(f, claim, deadline, this::newDiscount);
    }

    /** A grant not sent before: found its subscription, stored and sent, or why it cannot be. */
    private interface NewGrant {
        GrantResult grant(Fulfilment f, Claim claim, CustomerMatch customer, Deadline deadline);
    }

    /** Contract 4 for every unit: the customer, its lock, its lost grants settled, then this grant once. */
    private GrantResult grantOnce(Fulfilment f, Claim claim, Deadline deadline, NewGrant newGrant)
            throws InterruptedException {
        if (!stripe.isConfigured()) {
            return GrantResult.parked("Stripe not configured (bridge.stripe.api-key)");
        }
        Optional<Grant> earlier = grants.find(f.key());
        CustomerMatch customer = earlier.isPresent() ? CustomerMatch.known(earlier.get().customerId()) : customer(f, deadline);
        if (customer.parkReason() != null) {
            return GrantResult.parked(customer.parkReason());
        }
        String customerId = customer.customerId();
        String holder = UUID.randomUUID().toString();
        grants.lockCustomer(customerId, holder, System.currentTimeMillis() + deadline.remainingMillis());
        try {
            // A write that hangs after the Stripe call (settle, mark granted, forget) fails in time for a 503.
            return deadline.boundStatements(0, () -> grantLocked(f, claim, customer, deadline, newGrant));
        } finally {
            unlock(customerId, holder, deadline);
        }
    }

    /** Best effort within the deadline: a lock left behind runs out after its lease. */
    private void unlock(String customerId, String holder, Deadline deadline) {
        try {
            deadline.boundStatements(Deadline.CLEAN_UP_MILLIS, () -> grants.unlockCustomer(customerId, holder));
        } catch (DataAccessException unavailable) {
            LOG.warn("the lock on Stripe customer {} was not released ({}); it runs out after its lease", customerId,
                    unavailable.getClass().getSimpleName());
        }
    }

    private GrantResult grantLocked(Fulfilment f, Claim claim, CustomerMatch customer, Deadline deadline,
                                    NewGrant newGrant) {
        String customerId = customer.customerId();
        for (Grant unsettled : grants.unsettled(customerId)) {
            boolean mine = unsettled.key().equals(f.key());
            String refused = settle(unsettled, mine ? claim : null, deadline);
            if (mine) {
                return refused != null ? GrantResult.parked(refused)
                        : GrantResult.applied("granted in Stripe (the earlier request, whose answer was lost, had "
                                + "taken effect or was completed now)");
            }
        }
        Optional<Grant> mine = grants.find(f.key());
        if (mine.isPresent() && mine.get().applied()) {
            markGranted(claim);
            return GrantResult.applied("granted in Stripe before");
        }
        // The subscriptions were read before the lock: a grant to this customer since then (another
        // instance's, or one settled just now) may have changed them, so they are read again.
        boolean stale = customer.subscriptions() != null && grants.changedSince(customerId, customer.readAt());
        return newGrant.grant(f, claim, stale ? customer.withoutSubscriptions() : customer, deadline);
    }

    /**
     * Contract 4.2: the most recently created subscription that can take a grant, from the list the
     * customer's answer embedded, else from the list call.
     */
    private Optional<Subscription> grantableSubscription(CustomerMatch customer, Deadline deadline) {
        List<Subscription> subscriptions = customer.subscriptions() != null ? customer.subscriptions()
                : stripe.subscriptions(customer.customerId(), deadline.remainingMillis());
        return subscriptions.stream()
                .filter(s -> GRANTABLE.contains(s.getStatus()))
                .max(Comparator.comparing(s -> s.getCreated() == null ? 0L : s.getCreated()));
    }

    private GrantResult newFreeMonths(Fulfilment f, Claim claim, CustomerMatch customer, Deadline deadline) {
        String customerId = customer.customerId();
        int months = f.amount().intValueExact();
        Optional<Subscription> chosen = grantableSubscription(customer, deadline);
        if (chosen.isEmpty()) {
            return GrantResult.parked("no active subscription for Stripe customer " + customerId);
        }
        Subscription subscription = chosen.get();
        List<SubscriptionItem> items = allItems(subscription, deadline);
        Grant grant;
        if (strategy.equals(TRIAL_EXTENSION)) {
            long now = Instant.now().getEpochSecond();
            long trialEnd = FreeMonthsArithmetic.trialEnd(now, subscription.getTrialEnd(), periodEnds(items), months);
            if (trialEnd - now > TRIAL_LIMIT.toSeconds()) {
                return GrantResult.parked(TRIAL_BEYOND_LIMIT);
            }
            grant = new Grant(f.key(), customerId, subscription.getId(), strategy, months, trialEnd, null, null, "SENT",
                    1, null, null, null);
        } else {
            PriceOfMonths price = priceOfMonths(subscription.getId(), items, months);
            if (price.parkReason() != null) {
                return GrantResult.parked(price.parkReason());
            }
            grant = new Grant(f.key(), customerId, subscription.getId(), strategy, months, null, price.amount(),
                    price.currency(), "SENT", 1, null, null, null);
        }
        GrantResult refused = sendNew(grant, subscription, claim, deadline);
        if (refused != null) {
            return refused;
        }
        return GrantResult.applied(strategy.equals(TRIAL_EXTENSION)
                ? months + " free month(s): trial of " + subscription.getId() + " extended to " + Instant.ofEpochSecond(grant.trialEnd())
                : months + " free month(s): " + grant.creditAmount() + " " + grant.currency() + " credited to " + customerId);
    }

    /**
     * Contract 10: mon_discount, a credit of that many cents in the subscription's currency, which
     * must be the customer's balance currency where Stripe has one; discount_per, the percentage's
     * coupon added to the subscription beside its discounts.
     */
    private GrantResult newDiscount(Fulfilment f, Claim claim, CustomerMatch customer, Deadline deadline) {
        String customerId = customer.customerId();
        String customerCurrency = customer.currency();
        long amount = f.amount().longValueExact();
        Optional<Subscription> chosen = grantableSubscription(customer, deadline);
        if (chosen.isEmpty()) {
            return GrantResult.parked("no active subscription for Stripe customer " + customerId);
        }
        Subscription subscription = chosen.get();
        Grant grant;
        String detail;
        if ("mon_discount".equals(f.unit())) {
            String currency = currencyOf(subscription, deadline);
            if (currency == null) {
                return GrantResult.parked("a currency mismatch: the items of subscription " + subscription.getId()
                        + " are in several currencies, or none");
            }
            if (customerCurrency != null && !customerCurrency.equalsIgnoreCase(currency)) {
                // Stripe keeps one balance per customer, in the customer's currency.
                return GrantResult.parked("a currency mismatch: the balance of Stripe customer " + customerId + " is in "
                        + customerCurrency + ", subscription " + subscription.getId() + " is in " + currency);
            }
            grant = new Grant(f.key(), customerId, subscription.getId(), MON_DISCOUNT, 0, null, amount, currency, "SENT",
                    1, null, null, null);
            detail = "discount: " + amount + " " + currency + " (minor units) credited to " + customerId;
        } else {
            String couponId;
            try {
                couponId = f.discount().namesProviderCoupon()
                        ? providerCoupon(f.discount().providerCouponId(), amount, subscription, deadline)
                        : percentCoupon(f, amount, deadline);
            } catch (StripeRefused refused) {
                return GrantResult.parked(refused.getMessage());
            }
            grant = new Grant(f.key(), customerId, subscription.getId(), DISCOUNT_PER, 0, null, null, null, "SENT", 1,
                    null, null, couponId);
            detail = "discount: coupon " + couponId + (f.discount().namesProviderCoupon()
                    ? ", which FirstPromoter's reward names," : " (" + amount + "% off)") + " added to " + subscription.getId();
        }
        GrantResult refused = sendNew(grant, subscription, claim, deadline);
        return refused != null ? refused : GrantResult.applied(detail);
    }

    /** Stores the grant before it is sent, sends it, marks it granted; returns why it is parked, or null. */
    private GrantResult sendNew(Grant grant, Subscription subscription, Claim claim, Deadline deadline) {
        grants.recordSent(grant);
        try {
            send(grant, subscription, deadline);
        } catch (StripeRefused refused) {
            grants.forget(grant.key());
            return GrantResult.parked(refused.getMessage());
        }
        markGranted(claim);
        return null;
    }

    /** The subscription's currency; where Stripe gives none, its items' one currency, else null. */
    private String currencyOf(Subscription subscription, Deadline deadline) {
        if (subscription.getCurrency() != null) {
            return subscription.getCurrency();
        }
        Set<String> currencies = allItems(subscription, deadline).stream()
                .map(i -> i.getPrice() == null ? null : i.getPrice().getCurrency()).collect(Collectors.toSet());
        return currencies.size() == 1 && !currencies.contains(null) ? currencies.iterator().next() : null;
    }

    /**
     * The bridge's own coupon of the reward's percentage and duration, created once under an id derived
     * from both and reused. A legacy fulfilment_pending delivery names no duration (its data.reward has
     * id, amount, type, unit, name, per_of_sale, default_promo_code): {@link DiscountTerms#ONCE}, whose
     * id, firstpromoter-15-percent-once, is the one the bridge always made for it.
     */
    private String percentCoupon(Fulfilment f, long percent, Deadline deadline) {
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
        if (coupon.getPercentOff() == null || coupon.getPercentOff().compareTo(java.math.BigDecimal.valueOf(percent)) != 0
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
    private String providerCoupon(String couponId, long percent, Subscription subscription, Deadline deadline) {
        Optional<Coupon> found = stripe.coupon(couponId, deadline.remainingMillis());
        if (found.isEmpty() || Boolean.TRUE.equals(found.get().getDeleted())) {
            throw new StripeRefused("Stripe has no coupon " + couponId + ", which FirstPromoter's reward names");
        }
        Coupon coupon = found.get();
        if (coupon.getAmountOff() != null) {
            String currency = currencyOf(subscription, deadline);
            if (coupon.getCurrency() == null || !coupon.getCurrency().equalsIgnoreCase(currency)) {
                throw new StripeRefused("a currency mismatch: Stripe coupon " + couponId + ", which FirstPromoter's reward "
                        + "names, takes " + coupon.getAmountOff() + " " + coupon.getCurrency() + " (minor units) off, and "
                        + "subscription " + subscription.getId() + " is in "
                        + (currency == null ? "several currencies, or none" : currency));
            }
        } else if (coupon.getPercentOff() == null || coupon.getPercentOff().compareTo(java.math.BigDecimal.valueOf(percent)) != 0) {
            throw new StripeRefused("Stripe coupon " + couponId + ", which FirstPromoter's reward names, takes "
                    + coupon.getPercentOff() + "% off, and the reward is " + percent + "%");
        }
        return couponId;
    }

    /**
     * Reads Stripe to tell whether a grant whose answer was lost took effect, from the marker only its
     * own request can have left, and sends it again only if it did not. Returns why it is parked, or
     * null once the grant is applied. With this delivery's claim, the grant is its own fulfilment:
     * marked granted under the claim, left to the route to park.
     */
    private String settle(Grant grant, Claim claim, Deadline deadline) {
        boolean tookEffect = false;
        String parkReason;
        try {
            if (grant.strategy().equals(TRIAL_EXTENSION)) {
                Subscription subscription = stripe.subscription(grant.subscriptionId(), deadline.remainingMillis());
                tookEffect = StripeCalls.carriesGrant(subscription, grant.key());
                parkReason = tookEffect ? null : extendTrialAgain(grant, subscription, deadline);
            } else if (grant.strategy().equals(DISCOUNT_PER)) {
                Subscription subscription = stripe.subscription(grant.subscriptionId(), deadline.remainingMillis());
                tookEffect = StripeCalls.carriesGrant(subscription, grant.key());
                if (!tookEffect) {
                    // Merged again with the discounts the subscription has now.
                    send(withinIdempotencyWindow(grant) ? grant : grants.recordNextKey(grant, null), subscription, deadline);
                }
                parkReason = null;
            } else {
                tookEffect = stripe.hasBalanceCredit(grant.customerId(), grant.key(), grant.storedAt(),
                        () -> deadline.remainingMillis());
                if (!tookEffect) {
                    send(withinIdempotencyWindow(grant) ? grant : grants.recordNextKey(grant, null), null, deadline);
                }
                parkReason = null;
            }
        } catch (StripeRefused refused) {
            parkReason = refused.getMessage();
        }
        if (parkReason != null) {
            String reason = parkReason;
            transaction.executeWithoutResult(tx -> {
                grants.forget(grant.key());
                if (claim == null) {
                    records.settleParked(grant.key(), reason);
                }
            });
            return reason;
        }
        LOG.info("Stripe grant of fulfilment {} settled: {}", grant.fulfilmentId(), tookEffect ? "it had taken effect" : "sent again");
        transaction.executeWithoutResult(tx -> {
            grants.markApplied(grant.key());
            if (claim != null) {
                records.markGranted(claim);
            } else {
                records.settleGranted(grant.key());
            }
        });
        return null;
    }

    /** Stripe keeps an idempotency key 24 hours: within the window the key still guards the first send. */
    private boolean withinIdempotencyWindow(Grant grant) {
        return Instant.now().isBefore(grant.keySentAt().plus(idempotencyWindow));
    }

    /**
     * A trial extension that did not take effect, sent again: within the window the same request
     * with the same key, unless the trial already ends at or past its target (someone else moved it:
     * sending it would shorten the trial or grant nothing); after it, under the next key with the
     * target recomputed from the subscription as it is now, so the trial never moves back. Returns why
     * it is parked, or null once sent.
     */
    private String extendTrialAgain(Grant grant, Subscription subscription, Deadline deadline) {
        if (withinIdempotencyWindow(grant)) {
            Long trialEnd = subscription.getTrialEnd();
            if (trialEnd != null && trialEnd >= grant.trialEnd()) {
                // Parked, not re-sent: the same request would shorten the trial, another one could not
                // use the same key. A replay grants from the new end (after the key's 24 h if Stripe holds it).
                return "free months not granted: the request to extend the trial of " + grant.subscriptionId() + " to "
                        + Instant.ofEpochSecond(grant.trialEnd()) + " got no answer and did not take effect, and the trial "
                        + "now ends " + Instant.ofEpochSecond(trialEnd) + " (set by someone else); sending it again would not "
                        + "add " + grant.months() + " month(s). Replay to grant them from the new end (if Stripe refuses the "
                        + "reused idempotency key, after " + grant.keySentAt().plus(Duration.ofHours(24)) + ")";
            }
            send(grant, null, deadline);
            return null;
        }
        long now = Instant.now().getEpochSecond();
        long target = FreeMonthsArithmetic.trialEnd(now, subscription.getTrialEnd(),
                periodEnds(allItems(subscription, deadline)), grant.months());
        if (target - now > TRIAL_LIMIT.toSeconds()) {
            return TRIAL_BEYOND_LIMIT;
        }
        send(grants.recordNextKey(grant, target), null, deadline);
        return null;
    }

    /** Sends the grant's request; a discount-per grant is merged with the subscription as read (its discounts). */
    private void send(Grant grant, Subscription subscription, Deadline deadline) {
        long remaining = deadline.remainingMillis();
        switch (grant.strategy()) {
            case TRIAL_EXTENSION -> stripe.extendTrial(grant.key(), grant.subscriptionId(), grant.trialEnd(),
                    grant.keyGeneration(), remaining);
            case DISCOUNT_PER -> stripe.addDiscount(grant.key(), grant.subscriptionId(),
                    subscription.getDiscounts() == null ? List.of() : subscription.getDiscounts(), grant.couponId(),
                    grant.keyGeneration(), remaining);
            case MON_DISCOUNT -> stripe.creditBalance(grant.key(), grant.customerId(), grant.creditAmount(),
                    grant.currency(), "FirstPromoter reward: discount", grant.keyGeneration(), remaining);
            default -> stripe.creditBalance(grant.key(), grant.customerId(), grant.creditAmount(),
                    grant.currency(), "FirstPromoter reward: " + grant.months() + " free month"
                            + (grant.months() == 1 ? "" : "s"), grant.keyGeneration(), remaining);
        }
    }

    /** The grant applied and its fulfilment granted, together. */
    private void markGranted(Claim claim) {
        transaction.executeWithoutResult(tx -> {
            grants.markApplied(claim.key());
            records.markGranted(claim);
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

    /** Contract 4.1: a cus_ id is the customer; another cust_id is looked up in metadata; else the email. */
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

    private record PriceOfMonths(long amount, String currency, String parkReason) {
    }

    private static PriceOfMonths priceOfMonths(String subscriptionId, List<SubscriptionItem> items, int months) {
        if (items.isEmpty()) {
            return new PriceOfMonths(0, null, "subscription " + subscriptionId + " has no items");
        }
        Set<String> currencies = items.stream().map(i -> i.getPrice() == null ? null : i.getPrice().getCurrency())
                .collect(Collectors.toSet());
        if (currencies.size() != 1 || currencies.contains(null)) {
            return new PriceOfMonths(0, null, "a price the strategy cannot use: items in several currencies");
        }
        List<PricedItem> priced = new java.util.ArrayList<>();
        for (SubscriptionItem item : items) {
            Price price = item.getPrice();
            if (price.getUnitAmount() == null || price.getRecurring() == null
                    || "metered".equals(price.getRecurring().getUsageType())) {
                return new PriceOfMonths(0, null, "a price the strategy cannot use: price " + price.getId()
                        + " has no fixed unit amount (metered or tiered)");
            }
            long quantity = item.getQuantity() == null ? 1 : item.getQuantity();
            Price.TransformQuantity transform = price.getTransformQuantity();
            if (transform != null && transform.getDivideBy() != null) {
                if (transform.getDivideBy() <= 0 || !Set.of("up", "down").contains(transform.getRound())) {
                    return new PriceOfMonths(0, null, "a price the strategy cannot use: price " + price.getId()
                            + " has a transform_quantity other than a positive divide_by rounded up or down");
                }
                quantity = FreeMonthsArithmetic.billedQuantity(quantity, transform.getDivideBy(), "up".equals(transform.getRound()));
            }
            priced.add(new PricedItem(price.getUnitAmount(), quantity,
                    price.getRecurring().getInterval(),
                    price.getRecurring().getIntervalCount() == null ? 1 : price.getRecurring().getIntervalCount()));
        }
        long amount = FreeMonthsArithmetic.monthsOfPrice(priced, months);
        if (amount <= 0) {
            return new PriceOfMonths(0, null, "a price the strategy cannot use: the subscription costs nothing");
        }
        return new PriceOfMonths(amount, currencies.iterator().next(), null);
    }

    /** All the subscription's items: the embedded list, and the pages it leaves out when it says has_more. */
    private List<SubscriptionItem> allItems(Subscription subscription, Deadline deadline) {
        if (subscription.getItems() == null || subscription.getItems().getData() == null) {
            return List.of();
        }
        List<SubscriptionItem> items = new ArrayList<>(subscription.getItems().getData());
        boolean more = Boolean.TRUE.equals(subscription.getItems().getHasMore());
        while (more && !items.isEmpty()) {
            StripeCollection<SubscriptionItem> page = stripe.subscriptionItems(subscription.getId(),
                    items.get(items.size() - 1).getId(), deadline.remainingMillis());
            List<SubscriptionItem> next = page.getData() == null ? List.of() : page.getData();
            items.addAll(next);
            more = Boolean.TRUE.equals(page.getHasMore()) && !next.isEmpty();
        }
        return items;
    }

    private static List<Long> periodEnds(List<SubscriptionItem> items) {
        return items.stream().map(SubscriptionItem::getCurrentPeriodEnd).toList();
    }
}
