package io.fulfilmentbridge.fulfilment;

import java.math.BigDecimal;

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

    /** The unit's name read canonically here, where every fulfilment is made, so deliveries and replays of rows stored before agree. */
    public Fulfilment {
        unit = Unit.canonical(unit);
        recipient = recipient == null ? Recipient.promoter(promoterId) : recipient;
        discount = discount == null ? DiscountTerms.ONCE : discount;
    }

    /** A legacy delivery's reward: the promoter's, with no discount terms of its own. */
    public Fulfilment(FulfilmentKey key, String eventId, String unit, BigDecimal amount, String status, long promoterId,
            String custId, String email) {
        this(key, eventId, unit, amount, status, promoterId, custId, email, null, null);
    }

    public long id() {
        return key.id();
    }

    /** The recipient's ledger account: the cust_id when there is one, else one named after the recipient. */
    public String ledgerAccount() {
        return custId != null ? custId : recipient.derivedAccount();
    }

    /** The unit the split on unit reads; an unknown one is OTHER (its name stays in {@link #unit()}). */
    public Unit unitKind() {
        return Unit.of(unit);
    }

    /** The unit as logs and metrics name it: a known unit, or "other". */
    public String unitLabel() {
        return unitKind().label();
    }
}
