package io.fulfilmentbridge.stripe;

import com.stripe.model.Price;
import com.stripe.model.StripeCollection;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.stripe.FreeMonthsArithmetic.PricedItem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a Stripe customer's subscriptions say for a grant: the one to grant on, its items (every page),
 * its currency, and the price of free months credited to the balance. Reads only, each bounded by
 * the deadline.
 */
final class StripeSubscriptions {

    private static final Set<String> GRANTABLE = Set.of("active", "trialing", "past_due");

    private final StripeCalls stripe;

    StripeSubscriptions(StripeCalls stripe) {
        this.stripe = stripe;
    }

    /**
     * The most recently created subscription that can take a grant, from the list the customer's
     * answer embedded, else from the list call.
     */
    Optional<Subscription> grantable(String customerId, List<Subscription> embedded, Deadline deadline) {
        List<Subscription> subscriptions = embedded != null ? embedded
                : stripe.subscriptions(customerId, deadline.remainingMillis());
        return subscriptions.stream()
                .filter(s -> GRANTABLE.contains(s.getStatus()))
                .max(Comparator.comparing(s -> s.getCreated() == null ? 0L : s.getCreated()));
    }

    /** The subscription's currency; where Stripe gives none, its items' one currency, else null. */
    String currencyOf(Subscription subscription, Deadline deadline) {
        if (subscription.getCurrency() != null) {
            return subscription.getCurrency();
        }
        Set<String> currencies = allItems(subscription, deadline).stream()
                .map(i -> i.getPrice() == null ? null : i.getPrice().getCurrency()).collect(Collectors.toSet());
        return currencies.size() == 1 && !currencies.contains(null) ? currencies.iterator().next() : null;
    }

    /** All the subscription's items: the embedded list, and the pages it leaves out when it says has_more. */
    List<SubscriptionItem> allItems(Subscription subscription, Deadline deadline) {
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

    static List<Long> periodEnds(List<SubscriptionItem> items) {
        return items.stream().map(SubscriptionItem::getCurrentPeriodEnd).toList();
    }

    record PriceOfMonths(long amount, String currency, String parkReason) {
    }

    static PriceOfMonths priceOfMonths(String subscriptionId, List<SubscriptionItem> items, int months) {
        if (items.isEmpty()) {
            return new PriceOfMonths(0, null, "subscription " + subscriptionId + " has no items");
        }
        Set<String> currencies = items.stream().map(i -> i.getPrice() == null ? null : i.getPrice().getCurrency())
                .collect(Collectors.toSet());
        if (currencies.size() != 1 || currencies.contains(null)) {
            return new PriceOfMonths(0, null, "a price the strategy cannot use: items in several currencies");
        }
        List<PricedItem> priced = new ArrayList<>();
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
}
