package io.fulfilmentbridge.recurly;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.billing.BillingGrant;
import io.fulfilmentbridge.billing.BillingGrants;
import io.fulfilmentbridge.billing.BillingSystem;
import io.fulfilmentbridge.billing.CustomerGrants;
import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.billing.GrantSteps;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.Unit;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Currency;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The billing port's Recurly adapter (API v2021-02-25, docs/billing-recurly.md): free months by moving the
 * subscription's next bill date, which Recurly documents as postponing without proration (in a
 * trial it moves the trial's end); mon_discount as a pending credit on the account, taken off the
 * next invoice. Recurly documents no idempotency key for this version, so a write whose answer was
 * lost is settled only by reading Recurly: the marker its request wrote (the credit's description, the
 * marker field); a date alone proves nothing (see settleFreeMonths).
 */
@Component("billing")
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "recurly")
public class RecurlyBilling implements BillingSystem, GrantSteps {

    /** The system's name in billing_grants and the customer locks. */
    static final String SYSTEM = "recurly";
    /** Recurly's own ids: 12 or 13 lowercase letters and digits (e28zov4fw0v2). */
    private static final Pattern RECURLY_ID = Pattern.compile("[a-z0-9]{12,13}");
    // Recurly's clock and ours may differ: credits are read from a little before the grant was stored.
    private static final Duration CLOCK_SLACK = Duration.ofHours(1);
    static final String DISCOUNT_PER_PARKED = "percentage discounts are not applied in Recurly by the bridge: a Recurly "
            + "coupon redemption (API v2021-02-25) takes no idempotency key and carries no marker, so one whose answer "
            + "was lost could not be told from a redemption the team made; redeem the coupon on the Recurly account by hand";

    private final RecurlyCalls recurly;
    private final CustomerGrants customerGrants;
    private final BillingGrants grants;
    private final String markerField;

    public RecurlyBilling(RecurlyCalls recurly, CustomerGrants customerGrants, BillingGrants grants,
                          RecurlySettings settings) {
        this.recurly = recurly;
        this.customerGrants = customerGrants;
        this.grants = grants;
        this.markerField = settings.markerField();
    }

    @Override
    public GrantResult grantFreeMonths(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        if (!recurly.isConfigured()) {
            return GrantResult.parked("Recurly not configured (bridge.recurly.api-key)");
        }
        return customerGrants.grantOnce(SYSTEM, f, claim, deadline, this);
    }

    @Override
    public GrantResult grantDiscount(Fulfilment f, Claim claim, Deadline deadline) throws InterruptedException {
        if (!recurly.isConfigured()) {
            return GrantResult.parked("Recurly not configured (bridge.recurly.api-key)");
        }
        if (f.unitKind() == Unit.DISCOUNT_PER) {
            return GrantResult.parked(DISCOUNT_PER_PARKED);
        }
        return customerGrants.grantOnce(SYSTEM, f, claim, deadline, this);
    }

    /**
     * A cust_id of Recurly's id form is the account's id; else (or if no account has that id) it is
     * the app's id, the account's code; without a match, the one open account with the promoter's email.
     */
    @Override
    public CustomerFound customer(Fulfilment f, Deadline deadline) {
        String custId = f.custId() == null ? "" : f.custId().trim();
        if (!custId.isEmpty()) {
            if (RECURLY_ID.matcher(custId).matches()) {
                Optional<JsonNode> byId = recurly.account(custId, deadline);
                if (byId.isPresent()) {
                    return open(byId.get(), "Recurly account " + custId);
                }
            }
            Optional<JsonNode> byCode = recurly.account("code-" + custId, deadline);
            if (byCode.isPresent()) {
                return open(byCode.get(), "the Recurly account with code " + custId);
            }
        }
        if (f.email() == null || f.email().isBlank()) {
            return CustomerFound.none("no Recurly account: no account has the cust_id as its id or code, and there is no "
                    + "promoter email");
        }
        List<JsonNode> found = recurly.accountsWithEmail(f.email(), deadline).stream()
                .filter(RecurlyBilling::isOpen).toList();
        if (found.size() == 1) {
            return CustomerFound.found(found.get(0).path("id").asText());
        }
        return CustomerFound.none(found.isEmpty()
                ? "no open Recurly account with the promoter's email"
                : "several open Recurly accounts have the promoter's email");
    }

    private static CustomerFound open(JsonNode account, String label) {
        return isOpen(account) ? CustomerFound.found(account.path("id").asText())
                : CustomerFound.none(label + " is closed");
    }

    private static boolean isOpen(JsonNode account) {
        return "active".equals(account.path("state").asText()) && !account.hasNonNull("deleted_at");
    }

    @Override
    public Plan plan(Fulfilment f, String accountId, Deadline deadline) {
        // Recurly's active state covers subscriptions in a trial and those with a past-due invoice.
        Optional<JsonNode> newest = recurly.activeSubscriptions(accountId, deadline).stream()
                .filter(s -> "active".equals(s.path("state").asText()))
                .max(Comparator.comparing(s -> Optional.ofNullable(instant(s, "created_at")).orElse(Instant.EPOCH)));
        if (newest.isEmpty()) {
            return Plan.park("no active subscription for Recurly account " + accountId);
        }
        JsonNode subscription = newest.get();
        String subscriptionId = subscription.path("id").asText();
        if (f.unitKind() == Unit.FREE_MONTHS) {
            return planFreeMonths(f, accountId, subscription, subscriptionId);
        }
        String currency = subscription.path("currency").asText("");
        if (minorUnits(currency) < 0) {
            return Plan.park("a currency the bridge cannot credit: Recurly subscription " + subscriptionId + " is in '"
                    + currency + "'");
        }
        long cents = f.amount().longValueExact();
        BillingGrant grant = BillingGrant.toSend(f.key(), SYSTEM, accountId, subscriptionId, BillingGrant.MON_DISCOUNT,
                0, null, null, cents, currency);
        return Plan.send(grant, "discount: " + unitAmount(grant).toPlainString() + " " + currency
                + " credited to Recurly account " + accountId + " for its next invoice");
    }

    /**
     * N calendar months (UTC, the day clamped to the month's end) after the latest of now, the next
     * bill date and the trial's end (docs/billing-recurly.md, the trial), so grants stack and no paid time is lost.
     */
    private Plan planFreeMonths(Fulfilment f, String accountId, JsonNode subscription, String subscriptionId) {
        int months = f.amount().intValueExact();
        Instant nextBill = instant(subscription, "current_period_ends_at");
        if (nextBill == null) {
            return Plan.park("Recurly subscription " + subscriptionId + " has no next bill date (current_period_ends_at)");
        }
        Instant target = nextBillDate(Instant.now(), nextBill, instant(subscription, "trial_ends_at"), months);
        BillingGrant grant = BillingGrant.toSend(f.key(), SYSTEM, accountId, subscriptionId, BillingGrant.FREE_MONTHS,
                months, nextBill, target, null, null);
        return Plan.send(grant, months + " free month(s): next bill date of Recurly subscription " + subscriptionId
                + " moved from " + nextBill + " to " + target);
    }

    static Instant nextBillDate(Instant now, Instant nextBill, Instant trialEnd, int months) {
        Instant base = now.truncatedTo(ChronoUnit.SECONDS);
        if (nextBill != null && nextBill.isAfter(base)) {
            base = nextBill;
        }
        if (trialEnd != null && trialEnd.isAfter(base)) {
            base = trialEnd;
        }
        return base.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
    }

    @Override
    public void send(BillingGrant grant, Deadline deadline) {
        customerGrants.send(grant, () -> {
            if (BillingGrant.FREE_MONTHS.equals(grant.kind())) {
                recurly.moveNextBillDate(grant.subscriptionId(), grant.targetAt(), markerField, grant.marker(), deadline);
            } else {
                recurly.credit(grant.customerId(), grant.currency(), unitAmount(grant), creditDescription(grant),
                        markerField, grant.marker(), deadline);
            }
        });
    }

    @Override
    public Settled settle(BillingGrant grant, Deadline deadline) {
        return BillingGrant.FREE_MONTHS.equals(grant.kind()) ? settleFreeMonths(grant, deadline) : settleCredit(grant, deadline);
    }

    /**
     * The subscription read back. With a marker field, the request wrote the grant's marker into the
     * subscription along with the date: the marker there, it took effect; absent, it did not, and the
     * grant is planned again from the subscription's dates as they are now (never the old absolute
     * date: a renewal may have reached it). Without a marker field only a date still at the base tells
     * (not taken effect: planned again and sent); any other date, the target included (a renewal of a
     * plan as long as the grant sets that very date), is parked with what was seen
     * (docs/promises.md, What proves a lost grant landed).
     */
    private Settled settleFreeMonths(BillingGrant grant, Deadline deadline) {
        Optional<JsonNode> read = recurly.subscription(grant.subscriptionId(), deadline);
        String asked = "the request to move the next bill date of Recurly subscription " + grant.subscriptionId()
                + " from " + grant.baseAt() + " to " + grant.targetAt() + " (sent " + grant.keySentAt() + ", for "
                + grant.marker() + ") got no answer";
        if (read.isEmpty()) {
            return Settled.park("free months not granted: " + asked + ", and Recurly no longer has the subscription");
        }
        JsonNode subscription = read.get();
        boolean marked = !markerField.isEmpty();
        if (marked && grant.marker().equals(customField(subscription, markerField))) {
            return Settled.TOOK_EFFECT;
        }
        Instant nextBill = instant(subscription, "current_period_ends_at");
        String state = subscription.path("state").asText();
        boolean unmoved = grant.baseAt().equals(nextBill);
        if ((marked || unmoved) && "active".equals(state) && nextBill != null) {
            BillingGrant again = grants.recordNextKey(grant, nextBill, nextBillDate(Instant.now(), nextBill,
                    instant(subscription, "trial_ends_at"), grant.months()));
            send(again, deadline);
            return Settled.SENT_AGAIN;
        }
        if (marked || unmoved) {
            return Settled.park("free months not granted: " + asked + "; Recurly now shows the subscription " + state
                    + (marked ? " without this grant's marker (" + markerField + ")" : "") + ", so it cannot take the grant "
                    + "again. Check the subscription in Recurly, then replay to grant " + grant.months() + " month(s)");
        }
        String seen = grant.targetAt().equals(nextBill)
                ? "next bill date " + nextBill + ", the target: the request may have landed, or the subscription renewed "
                        + "(a renewal of a plan as long as the grant sets the same date)"
                : "next bill date " + nextBill + ", neither the date read before nor the target (someone else changed it, "
                        + "or it renewed)";
        return Settled.mayHaveLanded("free months not settled: " + asked + "; Recurly now shows the subscription " + state
                + " with " + seen + ", and without bridge.recurly.marker-field nothing only this request leaves tells "
                + "them apart. Check the subscription in Recurly, then replay to grant " + grant.months()
                + " month(s) from its current date if they were not added");
    }

    /** Every credit on the account since the grant was stored is read: one with its description or marker took effect. */
    private Settled settleCredit(BillingGrant grant, Deadline deadline) {
        String description = creditDescription(grant);
        boolean credited = recurly.creditsSince(grant.customerId(), grant.storedAt().minus(CLOCK_SLACK), deadline).stream()
                .anyMatch(item -> description.equals(item.path("description").asText())
                        || !markerField.isEmpty() && grant.marker().equals(customField(item, markerField)));
        if (credited) {
            return Settled.TOOK_EFFECT;
        }
        send(grant, deadline);
        return Settled.SENT_AGAIN;
    }

    /** The credit's invoice line, which also marks it as this grant's (with or without the marker field): only its request writes it. */
    static String creditDescription(BillingGrant grant) {
        return "FirstPromoter reward: discount (" + grant.marker() + ")";
    }

    /** The credit in the currency's units, as Recurly's unit_amount takes it (2500 cents: 25.00). */
    private static BigDecimal unitAmount(BillingGrant grant) {
        return BigDecimal.valueOf(grant.creditAmount()).movePointLeft(minorUnits(grant.currency()));
    }

    /** The currency's decimal places, or -1 when Java does not know it as one with a minor unit. */
    private static int minorUnits(String currency) {
        try {
            return Currency.getInstance(currency.toUpperCase(java.util.Locale.ROOT)).getDefaultFractionDigits();
        } catch (IllegalArgumentException | NullPointerException unknown) {
            return -1;
        }
    }

    private static String customField(JsonNode resource, String name) {
        for (JsonNode field : resource.path("custom_fields")) {
            if (name.equals(field.path("name").asText())) {
                return field.path("value").asText(null);
            }
        }
        return null;
    }

    /** A Recurly date-time field, or null when absent or unreadable. */
    static Instant instant(JsonNode resource, String field) {
        JsonNode value = resource.path(field);
        if (!value.isTextual() || value.asText().isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.asText()).toInstant().truncatedTo(ChronoUnit.SECONDS);
        } catch (DateTimeParseException unreadable) {
            return null;
        }
    }
}
