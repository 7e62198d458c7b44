package io.fulfilmentbridge.chargebee;

import io.fulfilmentbridge.billing.BillingGrant;
import io.fulfilmentbridge.billing.BillingGrants;
import io.fulfilmentbridge.billing.BillingSystem;
import io.fulfilmentbridge.billing.CustomerGrants;
import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.billing.GrantSteps;
import io.fulfilmentbridge.chargebee.ChargebeeModels.Customer;
import io.fulfilmentbridge.chargebee.ChargebeeModels.Page;
import io.fulfilmentbridge.chargebee.ChargebeeModels.PromotionalCredit;
import io.fulfilmentbridge.chargebee.ChargebeeModels.Subscription;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The billing port's Chargebee adapter (API v2, docs/billing-chargebee.md): free months by moving the subscription's
 * term end (its trial end while in trial) with change_term_end, stacking on the later of the term end
 * and the trial end; mon_discount as promotional credits in the subscription's currency. discount_per
 * is parked (see {@link #DISCOUNT_PER_PARKED}). Lock, settle and send-once are {@link CustomerGrants}'.
 */
@Component("billing")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "chargebee")
public class ChargebeeBilling implements BillingSystem, GrantSteps {

    static final String SYSTEM = "chargebee";
    private static final Logger LOG = LoggerFactory.getLogger(ChargebeeBilling.class);
    // The lookback for credits a lost request may have added: their created_at is Chargebee's clock, not ours.
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(10);
    static final String DISCOUNT_PER_PARKED = "discount_per is not applied in Chargebee by the bridge: a coupon added "
            + "to a Chargebee subscription carries no value only this grant can leave (its coupon entry has no metadata, "
            + "and the same coupon may be there already), so a lost answer past Chargebee's 30-minute idempotency window "
            + "could not be settled without risking a second discount. Add the coupon to the customer's subscription in "
            + "Chargebee, then mark the reward fulfilled";

    private final ChargebeeCalls chargebee;
    private final CustomerGrants customerGrants;
    private final BillingGrants grants;
    private final ChargebeeSettings settings;
    /** The key's send time is the database's (billing_grants): the window is measured on the same clock. */
    private final DatabaseClock clock;

    public ChargebeeBilling(ChargebeeCalls chargebee, CustomerGrants customerGrants, BillingGrants grants,
                            ChargebeeSettings settings, DatabaseClock clock) {
        this.chargebee = chargebee;
        this.clock = clock;
        this.customerGrants = customerGrants;
        this.grants = grants;
        this.settings = settings;
    }

    @Override
    public GrantResult grantFreeMonths(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        if (!chargebee.isConfigured()) {
            return notConfigured();
        }
        return customerGrants.grantOnce(SYSTEM, f, claim, deadline, this);
    }

    @Override
    public GrantResult grantDiscount(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        if (!"mon_discount".equals(f.unit())) {
            return GrantResult.parked(DISCOUNT_PER_PARKED);
        }
        if (!chargebee.isConfigured()) {
            return notConfigured();
        }
        return customerGrants.grantOnce(SYSTEM, f, claim, deadline, this);
    }

    private static GrantResult notConfigured() {
        return GrantResult.parked("Chargebee not configured (bridge.chargebee.site or bridge.chargebee.api-base, and "
                + "bridge.chargebee.api-key)");
    }

    /**
     * A cust_id is first taken as the Chargebee customer id (Chargebee lets the app choose it, so it is
     * often the app's own id), then looked up in the customer field; without a match, the email.
     */
    @Override
    public CustomerFound customer(Fulfilment f, Deadline deadline) {
        String custId = f.custId() == null || f.custId().isBlank() ? null : f.custId();
        String field = settings.customerField();
        if (custId != null) {
            Optional<Customer> byId = chargebee.customer(custId, deadline);
            if (byId.isPresent()) {
                return byId.get().deleted() ? CustomerFound.none("Chargebee customer " + custId + " is deleted")
                        : CustomerFound.found(byId.get().id());
            }
            if (!field.isEmpty()) {
                // Chargebee ignores a filter on a custom field not made filterable: only customers carrying the value count.
                List<Customer> carrying = customersCarrying(field, custId, deadline);
                if (carrying.size() > 1) {
                    return CustomerFound.none("several Chargebee customers have " + field + " = " + custId);
                }
                if (carrying.size() == 1) {
                    return CustomerFound.found(carrying.get(0).id());
                }
            }
        }
        if (f.email() == null || f.email().isBlank()) {
            return CustomerFound.none("no Chargebee customer: " + (custId == null ? "no cust_id" : "no customer of id "
                    + custId + (field.isEmpty() ? "" : " or with " + field + " = " + custId)) + ", and no email");
        }
        List<Customer> withEmail = chargebee.customersWhere("email", f.email(), deadline).stream()
                .filter(c -> f.email().equalsIgnoreCase(c.email()) && !c.deleted())
                .toList();
        if (withEmail.size() == 1) {
            return CustomerFound.found(withEmail.get(0).id());
        }
        return CustomerFound.none(withEmail.isEmpty() ? "no Chargebee customer with the promoter's email"
                : "several Chargebee customers have the promoter's email");
    }

    /** The customers whose field holds the value; none when Chargebee refuses the filter (the email decides then). */
    private List<Customer> customersCarrying(String field, String value, Deadline deadline) {
        try {
            return chargebee.customersWhere(field, value, deadline).stream()
                    .filter(c -> value.equals(c.customField(field)) && !c.deleted())
                    .toList();
        } catch (ChargebeeRefused refused) {
            LOG.warn("Chargebee refused the customer lookup by {} ({}); looking the customer up by email", field,
                    refused.getMessage());
            return List.of();
        }
    }

    @Override
    public Plan plan(Fulfilment f, String customerId, Deadline deadline) {
        Optional<Subscription> chosen = grantableSubscription(customerId, deadline);
        if (chosen.isEmpty()) {
            return Plan.park("no active, in-trial or non-renewing subscription for Chargebee customer " + customerId);
        }
        Subscription subscription = chosen.get();
        String subscriptionId = subscription.id();
        if ("mon_discount".equals(f.unit())) {
            long amount = f.amount().longValueExact();
            String currency = subscription.currencyCode();
            if (currency == null || currency.isEmpty()) {
                return Plan.park("a currency mismatch: Chargebee subscription " + subscriptionId + " has no currency_code");
            }
            return Plan.send(BillingGrant.toSend(f.key(), SYSTEM, customerId, subscriptionId, BillingGrant.MON_DISCOUNT, 0,
                    null, null, amount, currency), "discount: " + amount + " " + currency + " (minor units) added to "
                    + "Chargebee customer " + customerId + " as promotional credits");
        }
        int months = f.amount().intValueExact();
        Instant base = subscription.termEnd();
        if (base == null) {
            return Plan.park("Chargebee subscription " + subscriptionId + " (" + subscription.status()
                    + ") shows no term end to move");
        }
        Instant target = target(subscription, months);
        return Plan.send(BillingGrant.toSend(f.key(), SYSTEM, customerId, subscriptionId, BillingGrant.FREE_MONTHS, months,
                base, target, null, null), months + " free month(s): the " + (subscription.inTrial() ? "trial" : "term")
                + " of Chargebee subscription " + subscriptionId + " now ends " + target);
    }

    @Override
    public void send(BillingGrant grant, Deadline deadline) {
        customerGrants.send(grant, () -> {
            if (BillingGrant.FREE_MONTHS.equals(grant.kind())) {
                chargebee.changeTermEnd(grant.subscriptionId(), grant.targetAt(), grant.idempotencyKey(), deadline);
            } else {
                chargebee.addPromotionalCredits(grant.customerId(), grant.creditAmount(), grant.currency(),
                        "FirstPromoter reward: discount (" + grant.marker() + ")", grant.marker(), grant.idempotencyKey(),
                        deadline);
            }
        });
    }

    @Override
    public Settled settle(BillingGrant grant, Deadline deadline) {
        return BillingGrant.FREE_MONTHS.equals(grant.kind()) ? settleTermEnd(grant, deadline) : settleCredit(grant, deadline);
    }

    /**
     * A term-end change carries no marker (change_term_end takes only the date, prorate and
     * invoice_immediately), and Chargebee's events name no request or key that would tie a change to
     * this one. Within the key window it is sent again under the same key: Chargebee answers a key it
     * holds with its stored answer, so a change that took effect is not made twice. After it, only a
     * term end still at the base tells (the change did not land): planned again from the subscription
     * as it is now and sent under the next key. A term end anywhere else, the target included (a
     * renewal of a plan as long as the grant sets that very date), is parked with what was seen
     * (docs/promises.md, What proves a lost grant landed).
     */
    private Settled settleTermEnd(BillingGrant grant, Deadline deadline) {
        if (clock.now().isBefore(grant.keySentAt().plus(settings.idempotencyWindow()))) {
            sendAgain(grant, deadline);
            return Settled.SENT_AGAIN;
        }
        Subscription subscription = chargebee.subscription(grant.subscriptionId(), deadline);
        Instant seen = subscription.termEnd();
        String status = subscription.status();
        if (grant.baseAt().equals(seen) && subscription.grantable()) {
            BillingGrant again = grants.recordNextKey(grant, seen, target(subscription, grant.months()));
            send(again, deadline);
            return Settled.SENT_AGAIN;
        }
        String now = grant.targetAt().equals(seen)
                ? "now ends " + seen + ", the target: the change may have landed, or the subscription renewed (a renewal "
                        + "of a plan as long as the grant sets the same date), and Chargebee keeps nothing that tells them apart"
                : "now ends " + seen + ": neither the date before nor the target, so whether it took effect cannot be told";
        return Settled.mayHaveLanded("free months not settled: the request to move the term end of Chargebee subscription "
                + grant.subscriptionId() + " from " + grant.baseAt() + " to " + grant.targetAt() + " (idempotency key "
                + grant.idempotencyKey() + ", sent " + grant.keySentAt() + ", for " + grant.marker() + ") got no answer, "
                + "Chargebee no longer holds its key, and the subscription (" + status + ") " + now + ". Check the "
                + "subscription's history in Chargebee (a change_term_end at " + grant.keySentAt() + " or a renewal); replay "
                + "the fulfilment only if the " + grant.months() + " month(s) were not added");
    }

    /** Promotional credits carry the grant's marker as their reference: found, they took effect; else sent again. */
    private Settled settleCredit(BillingGrant grant, Deadline deadline) {
        Instant since = grant.storedAt().minus(CLOCK_SKEW);
        String offset = null;
        do {
            Page<PromotionalCredit> page = chargebee.promotionalCredits(grant.customerId(), since, offset, deadline);
            boolean found = page.items().stream()
                    .anyMatch(c -> grant.marker().equals(c.reference()) && "increment".equals(c.type()));
            if (found) {
                return Settled.TOOK_EFFECT;
            }
            offset = page.nextOffset();
        } while (offset != null);
        boolean sameKey = clock.now().isBefore(grant.keySentAt().plus(settings.idempotencyWindow()));
        sendAgain(sameKey ? grant : grants.recordNextKey(grant, null, null), deadline);
        return Settled.SENT_AGAIN;
    }

    /**
     * A re-send under a key Chargebee may still be working on: a conflict (409) may mean the first
     * request is still being processed, so it is not taken as a refusal (which would forget the grant).
     */
    private void sendAgain(BillingGrant grant, Deadline deadline) {
        try {
            send(grant, deadline);
        } catch (ChargebeeRefused refused) {
            if (refused.status() == 409) {
                throw new RetryLater("Chargebee answered 409 to the grant of " + grant.key() + " sent again under key "
                        + grant.idempotencyKey() + " (its first request may still be in progress); retry later");
            }
            throw refused;
        }
    }

    /** The newest subscription change_term_end takes, reading further pages only while none is found. */
    private Optional<Subscription> grantableSubscription(String customerId, Deadline deadline) {
        String offset = null;
        do {
            Page<Subscription> page = chargebee.subscriptions(customerId, offset, deadline);
            Optional<Subscription> newest = page.items().stream().filter(Subscription::grantable)
                    .max(Comparator.comparingLong(Subscription::createdAt));
            if (newest.isPresent()) {
                return newest;
            }
            offset = page.nextOffset();
        } while (offset != null);
        return Optional.empty();
    }

    /** N calendar months (UTC, the day clamped to the month's end) after the latest of now, the term end and the trial end. */
    static Instant target(Subscription subscription, int months) {
        // Whole seconds: Chargebee's timestamps, so a target read back compares equal.
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant latest = subscription.latestEnd();
        Instant base = latest != null && latest.isAfter(now) ? latest : now;
        return base.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
    }
}
