package io.fulfilmentbridge.fulfilment;

import java.math.BigDecimal;
import java.util.Set;

/**
 * A reward to apply once, as its delivery gave it (or as it was stored, for a replay). It holds
 * nothing secret: the promoter's auth_token and temp_password are never read. custId and email are the
 * recipient's: the promoter's, or the referred customer's for a v2 reward FirstPromoter marks as theirs.
 */
public record Fulfilment(
        FulfilmentKey key,
        String eventId,
        String unit,
        BigDecimal amount,
        String status,
        long promoterId,
        String custId,
        String email,
        Recipient recipient,
        DiscountTerms discount) {

    /** The units the routes know; any other is parked, and labelled "other" in logs and metrics. */
    public static final Set<String> KNOWN_UNITS = Set.of("free_months", "credits", "points", "cash", "mon_discount",
            "discount_per");

    /**
     * FirstPromoter's v1 API spells the fixed discount discount_mon, its webhooks mon_discount: one unit.
     * Read here, where every fulfilment is made, so deliveries and replays of rows stored before agree.
     */
    public Fulfilment {
        unit = canonicalUnit(unit);
        recipient = recipient == null ? Recipient.promoter(promoterId) : recipient;
        discount = discount == null ? DiscountTerms.ONCE : discount;
    }

    /** A legacy delivery's reward: the promoter's, with no discount terms of its own. */
    public Fulfilment(FulfilmentKey key, String eventId, String unit, BigDecimal amount, String status, long promoterId,
            String custId, String email) {
        this(key, eventId, unit, amount, status, promoterId, custId, email, null, null);
    }

    public static String canonicalUnit(String unit) {
        return "discount_mon".equals(unit) ? "mon_discount" : unit;
    }

    public long id() {
        return key.id();
    }

    /** The recipient's ledger account: the cust_id when there is one, else one named after the recipient. */
    public String ledgerAccount() {
        return custId != null ? custId : recipient.derivedAccount();
    }

    /** The unit as logs, metrics and the split on unit name it: a known unit, or "other". */
    public String unitLabel() {
        return labelOf(unit);
    }

    public static String labelOf(String unit) {
        String canonical = canonicalUnit(unit);
        return KNOWN_UNITS.contains(canonical) ? canonical : "other";
    }
}
