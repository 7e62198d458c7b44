package io.fulfilmentbridge.paddle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.billing.BillingGrant;
import io.fulfilmentbridge.billing.BillingGrants;
import io.fulfilmentbridge.billing.BillingSystem;
import io.fulfilmentbridge.billing.CustomerGrants;
import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.billing.GrantSteps;
import io.fulfilmentbridge.billing.GrantSteps.CustomerFound;
import io.fulfilmentbridge.billing.GrantSteps.Plan;
import io.fulfilmentbridge.billing.GrantSteps.Settled;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Unit;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The billing port's Paddle Billing adapter (docs/billing-paddle.md): free months by moving a subscription's
 * next_billed_at later with proration_billing_mode do_not_bill (for a trialing subscription the same
 * request extends the trial, Paddle's documented trial operation), stacking on the later of now and
 * the date it bills next. The shared template (CustomerGrants) takes the customer's lock, settles its
 * grants whose answer was lost, and stores and sends this one once.
 *
 * <p>Paddle Billing has no idempotency key. What only this grant can leave is its marker in the
 * subscription's custom_data, written in the same request; a trialing subscription takes no
 * custom_data, and a date alone proves nothing, so a lost trial extension is settled only where the
 * date shows it did not land (see {@link #settle}).
 */
@Component("billing")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "paddle")
public class PaddleBilling implements BillingSystem, GrantSteps {

    static final String SYSTEM = "paddle";
    /** The custom_data key of a subscription that holds the last grant's marker (fulfilment-<id> or commission-<id>). */
    static final String MARKER_KEY = "firstpromoter_grant";
    /** Paddle changes no subscription within 30 minutes of its next billing. */
    static final Duration CHANGE_FREEZE = Duration.ofMinutes(30);
    // Paddle's clock and ours may differ: a first billing this close to a send may have come after it.
    private static final Duration CLOCK_SLACK = Duration.ofMinutes(10);
    private static final Pattern CUSTOMER_ID = Pattern.compile("ctm_[a-z0-9]+");

    private final PaddleCalls paddle;
    private final CustomerGrants customerGrants;
    private final BillingGrants grants;
    private final String customDataKey;
    /** The subscription as plan read it, for the send that follows under the same lock: saves a read. */
    private final Map<FulfilmentKey, PaddleSubscription> planned = new ConcurrentHashMap<>();

    public PaddleBilling(PaddleCalls paddle, CustomerGrants customerGrants, BillingGrants grants, PaddleSettings settings) {
        this.paddle = paddle;
        this.customerGrants = customerGrants;
        this.grants = grants;
        this.customDataKey = settings.customerCustomDataKey();
    }

    @Override
    public GrantResult grantFreeMonths(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        if (!paddle.isConfigured()) {
            return GrantResult.parked("Paddle not configured (bridge.paddle.api-key)");
        }
        try {
            return customerGrants.grantOnce(SYSTEM, f, claim, deadline, this);
        } finally {
            // A plan whose grant was never sent (its store failed, the deadline ran out) leaves nothing behind.
            planned.remove(f.key());
        }
    }

    /**
     * Neither discount unit can be applied in Paddle Billing as docs/billing-paddle.md says a discount must be: parked before Paddle
     * is called, with the reason.
     */
    @Override
    public GrantResult grantDiscount(Fulfilment f, Claim claim, Deadline deadline) {
        if (f.unitKind() == Unit.MON_DISCOUNT) {
            return GrantResult.parked("Paddle Billing cannot apply a mon_discount: a Paddle customer's credit balance "
                    + "comes only from an adjustment to one of its billed transactions (POST /adjustments needs a "
                    + "transaction_id), not from a credit granted on its own; apply it in Paddle by hand");
        }
        return GrantResult.parked("Paddle Billing cannot apply a discount_per as a coupon beside the ones the customer has: a Paddle "
                + "subscription holds one discount at a time (adding one replaces the one it has, so what the customer had "
                + "would be lost), only recurring discounts can be added to a subscription (the default once is refused), "
                + "and Paddle chooses discount ids (dsc_...) itself, so the bridge cannot make one per percentage once and "
                + "reuse it; apply it in Paddle by hand");
    }

    /** docs/billing-paddle.md: a ctm_ id is the customer; another cust_id is the app's id in custom_data; else the email. */
    @Override
    public CustomerFound customer(Fulfilment f, Deadline deadline) {
        String custId = f.custId() == null || f.custId().isBlank() ? null : f.custId().trim();
        if (custId != null && CUSTOMER_ID.matcher(custId).matches()) {
            Optional<PaddleCustomer> customer = paddle.customer(custId, deadline);
            if (customer.isEmpty()) {
                return CustomerFound.none("no Paddle customer " + custId);
            }
            if (!"active".equals(customer.get().status())) {
                return CustomerFound.none("Paddle customer " + custId + " is " + customer.get().status());
            }
            return CustomerFound.found(custId);
        }
        String email = f.email() == null || f.email().isBlank() ? null : f.email().trim();
        if (email == null) {
            return CustomerFound.none(custId == null
                    ? "no Paddle customer: no cust_id and no promoter email"
                    : "no Paddle customer: cust_id " + custId + " is not a Paddle customer id, Paddle cannot look "
                            + "customers up by custom_data, and the delivery has no promoter email to narrow them by");
        }
        if (email.contains(",")) {
            // Paddle reads a comma in the email filter as a list of emails.
            return CustomerFound.none("no Paddle customer: the promoter's email holds a comma, which Paddle's email "
                    + "filter reads as several emails");
        }
        List<PaddleCustomer> withEmail = paddle.customersWithEmail(email, deadline);
        if (custId != null) {
            List<PaddleCustomer> withAppId = withEmail.stream().filter(c -> c.hasCustomData(customDataKey, custId)).toList();
            if (withAppId.size() > 1) {
                return CustomerFound.none("several Paddle customers with the promoter's email have custom_data "
                        + customDataKey + " = " + custId);
            }
            if (withAppId.size() == 1) {
                return CustomerFound.found(withAppId.get(0).id());
            }
        }
        if (withEmail.size() == 1) {
            return CustomerFound.found(withEmail.get(0).id());
        }
        return CustomerFound.none(withEmail.isEmpty()
                ? "no Paddle customer with the promoter's email"
                : "several Paddle customers have the promoter's email");
    }

    /**
     * Under the customer's lock: the newest active, trialing or past-due subscription, and the target N
     * calendar months (UTC, the day clamped to the month's end) after the later of now and the date it
     * bills next (the end of its trial or paid period), so no paid or trial time is lost and grants stack.
     */
    @Override
    public Plan plan(Fulfilment f, String customerId, Deadline deadline) {
        int months = f.amount().intValueExact();
        Optional<PaddleSubscription> chosen = paddle.grantableSubscriptions(customerId, deadline).stream()
                .filter(s -> s.customerId() == null || s.customerId().equals(customerId))
                .max(Comparator.comparing(s -> s.createdAt() == null ? Instant.EPOCH : s.createdAt()));
        if (chosen.isEmpty()) {
            return Plan.park("no active subscription for Paddle customer " + customerId);
        }
        PaddleSubscription subscription = chosen.get();
        if (PaddleSubscription.PAST_DUE.equals(subscription.status())) {
            return Plan.park("Paddle Billing changes no past_due subscription: " + subscription.id() + " of customer "
                    + customerId + " is past_due; replay once it is paid");
        }
        if (subscription.nextBilledAt() == null) {
            return Plan.park("Paddle subscription " + subscription.id() + " has no next billing date to move");
        }
        Instant now = Instant.now();
        requireOutsideFreeze(subscription, now);
        Instant target = target(now, subscription, months);
        BillingGrant grant = BillingGrant.toSend(f.key(), SYSTEM, customerId, subscription.id(), BillingGrant.FREE_MONTHS,
                months, subscription.nextBilledAt(), target, null, null);
        planned.put(f.key(), subscription);
        return Plan.send(grant, months + " free month(s): " + (subscription.trialing()
                ? "trial of Paddle subscription " + subscription.id() + " extended to " + target
                : "next billing of Paddle subscription " + subscription.id() + " moved from "
                        + subscription.nextBilledAt() + " to " + target));
    }

    /** N calendar months after the later of now and the subscription's next billing (and period end). */
    static Instant target(Instant now, PaddleSubscription subscription, int months) {
        Instant base = now;
        if (subscription.nextBilledAt() != null && subscription.nextBilledAt().isAfter(base)) {
            base = subscription.nextBilledAt();
        }
        if (subscription.periodEndsAt() != null && subscription.periodEndsAt().isAfter(base)) {
            base = subscription.periodEndsAt();
        }
        return base.atZone(ZoneOffset.UTC).plusMonths(months).toInstant().truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * Paddle refuses changes within 30 minutes of the next billing (and one already due is being billed):
     * after the renewal, the grant can be sent, stacking on the new date.
     */
    private static void requireOutsideFreeze(PaddleSubscription subscription, Instant now) {
        if (subscription.nextBilledAt() != null && subscription.nextBilledAt().isBefore(now.plus(CHANGE_FREEZE))) {
            throw new RetryLater("Paddle changes no subscription within 30 minutes of its next billing ("
                    + subscription.id() + " bills at " + subscription.nextBilledAt() + "); retry later");
        }
    }

    /**
     * Moves next_billed_at to the grant's target, without billing: on a subscription that is not
     * trialing, with its custom_data as read and the grant's marker merged in (Paddle replaces
     * custom_data whole, so every key it had is sent again).
     */
    @Override
    public void send(BillingGrant grant, Deadline deadline) {
        PaddleSubscription subscription = planned.remove(grant.key());
        if (subscription == null || !subscription.id().equals(grant.subscriptionId())) {
            subscription = paddle.subscription(grant.subscriptionId(), deadline);
        }
        send(grant, subscription, deadline);
    }

    private void send(BillingGrant grant, PaddleSubscription subscription, Deadline deadline) {
        ObjectNode customData = null;
        if (!subscription.trialing()) {
            customData = subscription.customData().deepCopy();
            customData.put(MARKER_KEY, grant.marker());
        }
        ObjectNode sent = customData;
        customerGrants.send(grant, () -> paddle.moveNextBilling(grant.subscriptionId(), grant.targetAt(), sent, deadline));
    }

    /**
     * A grant whose answer was lost, read back from Paddle. Its marker in custom_data: it took effect.
     * A subscription that was not trialing when the grant was sent got the marker in the same request:
     * absent, the request did not land, and the grant is planned again from the dates as they are now
     * (never the old absolute date: a renewal may have reached it). A trialing one takes no custom_data
     * (Paddle updates only items and next_billed_at in a trial), and Paddle's events name no request
     * that would tie a change to this one: only next_billed_at still at its base tells (not landed:
     * planned again and sent); any other date, the target included, is parked with what was seen
     * (docs/promises.md, What proves a lost grant landed).
     */
    @Override
    public Settled settle(BillingGrant grant, Deadline deadline) {
        PaddleSubscription subscription = paddle.subscription(grant.subscriptionId(), deadline);
        if (grant.marker().equals(subscription.customData().path(MARKER_KEY).asText(null))) {
            return Settled.TOOK_EFFECT;
        }
        Instant nextBilledAt = subscription.nextBilledAt();
        boolean markerSent = billedBefore(subscription, grant.keySentAt());
        boolean unmoved = grant.baseAt() != null && grant.baseAt().equals(nextBilledAt);
        boolean grantable = nextBilledAt != null && (subscription.trialing() || "active".equals(subscription.status()));
        if ((markerSent || unmoved) && grantable) {
            Instant now = Instant.now();
            requireOutsideFreeze(subscription, now);
            BillingGrant again = grants.recordNextKey(grant, nextBilledAt, target(now, subscription, grant.months()));
            send(again, subscription, deadline);
            return Settled.SENT_AGAIN;
        }
        String asked = "the request to move the next billing of Paddle subscription " + grant.subscriptionId() + " from "
                + grant.baseAt() + " to " + grant.targetAt() + " (sent " + grant.keySentAt() + ", for " + grant.marker()
                + ") got no answer, and the subscription now "
                + (nextBilledAt == null ? "has no next billing date" : "bills next at " + nextBilledAt)
                + " (status " + subscription.status() + ")";
        if (markerSent || unmoved) {
            return Settled.park("free months not granted: " + asked + ", without this grant's marker (custom_data "
                    + MARKER_KEY + " = " + grant.marker() + "), so it cannot take the grant again. Check the subscription "
                    + "in Paddle; replay to grant " + grant.months() + " month(s) once it can take them");
        }
        return Settled.mayHaveLanded("free months not settled: " + asked + ". It was sent while the subscription was trialing, "
                + "when Paddle takes no custom_data, so no marker can tell whether it landed"
                + (grant.targetAt().equals(nextBilledAt) ? "; the date at the target proves nothing (someone extending "
                        + "the trial, or a renewal, gives the same date)" : "") + ". Check the subscription's history in "
                + "Paddle; replay the fulfilment only if the " + grant.months() + " month(s) were not added");
    }

    /**
     * Whether the subscription had been billed (so was no longer trialing, and took the marker) well
     * before the grant was sent: a trial that ended within minutes of the send may have ended after it.
     */
    private static boolean billedBefore(PaddleSubscription subscription, Instant sentAt) {
        return !subscription.trialing() && subscription.firstBilledAt() != null
                && subscription.firstBilledAt().isBefore(sentAt.minus(CLOCK_SLACK));
    }
}
