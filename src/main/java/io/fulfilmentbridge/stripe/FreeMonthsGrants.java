package io.fulfilmentbridge.stripe;

import com.stripe.model.Customer;
import com.stripe.model.Price;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import io.fulfilmentbridge.fulfilment.AnswerDeadline;
import io.fulfilmentbridge.fulfilment.FulfilmentRecords;
import io.fulfilmentbridge.stripe.FreeMonthsArithmetic.PricedItem;
import io.fulfilmentbridge.stripe.StripeGrants.Grant;
import io.fulfilmentbridge.webhook.Fulfilment;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Free months in Stripe (contract section 4): finds the customer and the subscription, then grants,
 * one grant per customer at a time. Before anything touches a customer, its grants whose answer was
 * lost are settled by reading Stripe, and re-sent only if they did not take effect. Sets the
 * exchange's parkReason when the reward cannot be granted as it is, or its outcome when granted.
 */
@Component("freeMonthsGrants")
public class FreeMonthsGrants {

    private static final Logger LOG = LoggerFactory.getLogger(FreeMonthsGrants.class);
    private static final Set<String> GRANTABLE = Set.of("active", "trialing", "past_due");
    // Stripe accepts a trial end at most two years ahead.
    private static final Duration TRIAL_LIMIT = Duration.ofDays(730);
    static final String TRIAL_EXTENSION = "trial-extension";
    static final String BALANCE_CREDIT = "balance-credit";

    private final StripeCalls stripe;
    private final StripeGrants grants;
    private final FulfilmentRecords records;
    private final AnswerDeadline deadline;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final String strategy;
    private final String metadataKey;

    public FreeMonthsGrants(StripeCalls stripe, StripeGrants grants, FulfilmentRecords records, AnswerDeadline deadline,
                            JdbcTemplate jdbc, TransactionTemplate transaction,
                            @Value("${bridge.stripe.free-months-strategy:trial-extension}") String strategy,
                            @Value("${bridge.stripe.customer-metadata-key:app_user_id}") String metadataKey) {
        if (!strategy.equals(TRIAL_EXTENSION) && !strategy.equals(BALANCE_CREDIT)) {
            throw new IllegalArgumentException("bridge.stripe.free-months-strategy must be trial-extension or balance-credit");
        }
        this.stripe = stripe;
        this.grants = grants;
        this.records = records;
        this.deadline = deadline;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.strategy = strategy;
        this.metadataKey = metadataKey;
    }

    public void grant(Fulfilment f, Exchange exchange) throws InterruptedException {
        if (!stripe.isConfigured()) {
            exchange.setProperty("parkReason", "Stripe not configured (bridge.stripe.api-key)");
            return;
        }
        Optional<Grant> earlier = grants.find(f.id());
        String customerId;
        if (earlier.isPresent()) {
            customerId = earlier.get().customerId();
        } else {
            CustomerMatch match = customer(f, exchange);
            if (match.parkReason() != null) {
                exchange.setProperty("parkReason", match.parkReason());
                return;
            }
            customerId = match.customerId();
        }
        String holder = UUID.randomUUID().toString();
        grants.lockCustomer(customerId, holder, System.currentTimeMillis() + deadline.remainingMillis(exchange));
        try {
            // A write that hangs after the Stripe call (settle, mark granted, forget) fails in time for a 503.
            deadline.boundStatements(exchange, 0, () -> grantLocked(f, customerId, exchange));
        } finally {
            unlock(customerId, holder, exchange);
        }
    }

    /** Best effort within the deadline: a lock left behind runs out after its lease. */
    private void unlock(String customerId, String holder, Exchange exchange) {
        try {
            deadline.boundStatements(exchange, AnswerDeadline.CLEAN_UP_MILLIS, () -> grants.unlockCustomer(customerId, holder));
        } catch (DataAccessException unavailable) {
            LOG.warn("the lock on Stripe customer {} was not released ({}); it runs out after its lease", customerId,
                    unavailable.getClass().getSimpleName());
        }
    }

    private void grantLocked(Fulfilment f, String customerId, Exchange exchange) {
        String lease = exchange.getProperty(FulfilmentRecords.LEASE, String.class);
        for (Grant unsettled : grants.unsettled(customerId)) {
            boolean mine = unsettled.fulfilmentId() == f.id();
            String refused = settle(unsettled, mine ? lease : null, exchange);
            if (mine) {
                if (refused != null) {
                    exchange.setProperty("parkReason", refused);
                } else {
                    granted(exchange, "granted in Stripe (the earlier request, whose answer was lost, had "
                            + "taken effect or was completed now)");
                }
                return;
            }
        }
        Optional<Grant> mine = grants.find(f.id());
        if (mine.isPresent() && mine.get().applied()) {
            markGranted(f.id(), lease);
            granted(exchange, "granted in Stripe before");
            return;
        }

        int months = f.amount().intValueExact();
        List<Subscription> subscriptions = stripe.subscriptions(customerId, deadline.remainingMillis(exchange));
        Optional<Subscription> chosen = subscriptions.stream()
                .filter(s -> GRANTABLE.contains(s.getStatus()))
                .max(Comparator.comparing(s -> s.getCreated() == null ? 0L : s.getCreated()));
        if (chosen.isEmpty()) {
            exchange.setProperty("parkReason", "no active subscription for Stripe customer " + customerId);
            return;
        }
        Subscription subscription = chosen.get();
        Grant grant;
        if (strategy.equals(TRIAL_EXTENSION)) {
            long now = Instant.now().getEpochSecond();
            List<Long> periodEnds = items(subscription).stream().map(SubscriptionItem::getCurrentPeriodEnd).toList();
            long trialEnd = FreeMonthsArithmetic.trialEnd(now, subscription.getTrialEnd(), periodEnds, months);
            if (trialEnd - now > TRIAL_LIMIT.toSeconds()) {
                exchange.setProperty("parkReason", "the extended trial would end beyond Stripe's limit of two years ahead");
                return;
            }
            grant = new Grant(f.id(), customerId, subscription.getId(), strategy, months, trialEnd, null, null, "SENT");
        } else {
            PriceOfMonths price = priceOfMonths(subscription, months);
            if (price.parkReason() != null) {
                exchange.setProperty("parkReason", price.parkReason());
                return;
            }
            grant = new Grant(f.id(), customerId, subscription.getId(), strategy, months, null, price.amount(),
                    price.currency(), "SENT");
        }
        grants.recordSent(grant);
        try {
            send(grant, exchange);
        } catch (StripeRefused refused) {
            grants.forget(f.id());
            exchange.setProperty("parkReason", refused.getMessage());
            return;
        }
        markGranted(f.id(), lease);
        granted(exchange, strategy.equals(TRIAL_EXTENSION)
                ? months + " free month(s): trial of " + subscription.getId() + " extended to " + Instant.ofEpochSecond(grant.trialEnd())
                : months + " free month(s): " + grant.creditAmount() + " " + grant.currency() + " credited to " + customerId);
    }

    /**
     * Reads Stripe to tell whether a grant whose answer was lost took effect, and sends it again only
     * if it did not. Returns Stripe's refusal, or null once the grant is applied. With this delivery's
     * lease, the grant is its own fulfilment: marked granted under the lease, left to the route to park.
     */
    private String settle(Grant grant, String lease, Exchange exchange) {
        boolean tookEffect = grant.strategy().equals(TRIAL_EXTENSION)
                ? tookEffect(stripe.subscription(grant.subscriptionId(), deadline.remainingMillis(exchange)), grant)
                : stripe.hasBalanceCredit(grant.customerId(), grant.fulfilmentId(), deadline.remainingMillis(exchange));
        if (!tookEffect) {
            try {
                send(grant, exchange);
            } catch (StripeRefused refused) {
                transaction.executeWithoutResult(tx -> {
                    grants.forget(grant.fulfilmentId());
                    if (lease != null) {
                        return;
                    }
                    jdbc.update("UPDATE fulfilments SET state = 'PARKED', reason = ?, lease_holder = NULL, lease_until = NULL, "
                            + "updated_at = CURRENT_TIMESTAMP WHERE fulfilment_id = ? AND state = 'RECEIVED'",
                            refused.getMessage(), grant.fulfilmentId());
                });
                return refused.getMessage();
            }
        }
        LOG.info("Stripe grant of fulfilment {} settled: {}", grant.fulfilmentId(), tookEffect ? "it had taken effect" : "sent again");
        transaction.executeWithoutResult(tx -> {
            grants.markApplied(grant.fulfilmentId());
            if (lease != null) {
                records.markGranted(grant.fulfilmentId(), lease);
                return;
            }
            jdbc.update("UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, lease_until = NULL, "
                    + "updated_at = CURRENT_TIMESTAMP WHERE fulfilment_id = ? AND state = 'RECEIVED'", grant.fulfilmentId());
        });
        return null;
    }

    private static boolean tookEffect(Subscription subscription, Grant grant) {
        return subscription.getTrialEnd() != null && subscription.getTrialEnd() >= grant.trialEnd();
    }

    private void send(Grant grant, Exchange exchange) {
        long remaining = deadline.remainingMillis(exchange);
        if (grant.strategy().equals(TRIAL_EXTENSION)) {
            stripe.extendTrial(grant.fulfilmentId(), grant.subscriptionId(), grant.trialEnd(), remaining);
        } else {
            stripe.creditBalance(grant.fulfilmentId(), grant.customerId(), grant.creditAmount(), grant.currency(),
                    grant.months(), remaining);
        }
    }

    private void markGranted(long fulfilmentId, String lease) {
        transaction.executeWithoutResult(tx -> {
            grants.markApplied(fulfilmentId);
            records.markGranted(fulfilmentId, lease);
        });
    }

    private static void granted(Exchange exchange, String detail) {
        exchange.setProperty("outcome", "granted");
        exchange.setProperty("detail", detail);
    }

    private record CustomerMatch(String customerId, String parkReason) {
    }

    /** Contract 4.1: a cus_ id is the customer; another cust_id is looked up in metadata; else the email. */
    private CustomerMatch customer(Fulfilment f, Exchange exchange) {
        String custId = f.custId();
        if (custId != null && custId.startsWith("cus_")) {
            try {
                Customer customer = stripe.customer(custId, deadline.remainingMillis(exchange));
                if (Boolean.TRUE.equals(customer.getDeleted())) {
                    return new CustomerMatch(null, "Stripe customer " + custId + " is deleted");
                }
                return new CustomerMatch(customer.getId(), null);
            } catch (StripeRefused unknown) {
                return new CustomerMatch(null, "no Stripe customer " + custId + ": " + unknown.getMessage());
            }
        }
        if (custId != null) {
            List<Customer> found = stripe.customersWithMetadata(metadataKey, custId, deadline.remainingMillis(exchange));
            if (found.size() > 1) {
                return new CustomerMatch(null, "several Stripe customers have metadata " + metadataKey + " = " + custId);
            }
            if (found.size() == 1) {
                return new CustomerMatch(found.get(0).getId(), null);
            }
        }
        if (f.email() == null) {
            return new CustomerMatch(null, "no Stripe customer: no cust_id match and no promoter email");
        }
        List<Customer> found = stripe.customersWithEmail(f.email(), deadline.remainingMillis(exchange));
        if (found.size() == 1) {
            return new CustomerMatch(found.get(0).getId(), null);
        }
        return new CustomerMatch(null, found.isEmpty()
                ? "no Stripe customer with the promoter's email"
                : "several Stripe customers have the promoter's email");
    }

    private record PriceOfMonths(long amount, String currency, String parkReason) {
    }

    private static PriceOfMonths priceOfMonths(Subscription subscription, int months) {
        List<SubscriptionItem> items = items(subscription);
        if (items.isEmpty()) {
            return new PriceOfMonths(0, null, "subscription " + subscription.getId() + " has no items");
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
            priced.add(new PricedItem(price.getUnitAmount(), item.getQuantity() == null ? 1 : item.getQuantity(),
                    price.getRecurring().getInterval(),
                    price.getRecurring().getIntervalCount() == null ? 1 : price.getRecurring().getIntervalCount()));
        }
        long amount = FreeMonthsArithmetic.monthsOfPrice(priced, months);
        if (amount <= 0) {
            return new PriceOfMonths(0, null, "a price the strategy cannot use: the subscription costs nothing");
        }
        return new PriceOfMonths(amount, currencies.iterator().next(), null);
    }

    private static List<SubscriptionItem> items(Subscription subscription) {
        return subscription.getItems() == null || subscription.getItems().getData() == null
                ? List.of() : subscription.getItems().getData();
    }
}
