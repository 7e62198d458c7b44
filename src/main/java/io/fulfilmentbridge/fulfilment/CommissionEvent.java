package io.fulfilmentbridge.fulfilment;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A FirstPromoter webhooks v2 event about a commission, as read from its body (docs/promises.md, Reading an event). Which
 * people it names depends on the event: FirstPromoter's examples carry the referral only, its API's
 * commission also the promoter; what is missing is read from the API before an approval is applied.
 *
 * @param eventId the event's UUID: a re-sent event has the same one
 * @param eventType e.g. commission.updated
 * @param commissionId the commission (data.id), keyed apart from legacy payout ids
 * @param occurredAt the event's timestamp, which orders an approval and a denial of one commission:
 *        from 2010-01-01 to a day ahead of the database's clock (an event outside is rejected when read);
 *        null when the event carried none
 * @param kind what the bridge does with it
 */
public record CommissionEvent(
        String eventId,
        String eventType,
        long commissionId,
        Instant occurredAt,
        Kind kind,
        String unit,
        BigDecimal amount,
        String status,
        Long promoterId,
        String promoterEmail,
        Long referralId,
        String referralEmail,
        String referralUid) {

    public enum Kind {
        /** The commission was approved: apply its reward. */
        APPROVAL,
        /** Denied or deleted: record it, or reverse what was applied. */
        DENIAL,
        /** Anything else about a commission (created pending, other fields changed): nothing to do. */
        OTHER
    }

    /**
     * An operator's replay of a commission approved before: its reward is read from FirstPromoter's API
     * again, as for the approval itself (the first try may have ended before the API answered).
     */
    public static CommissionEvent replayOf(Fulfilment stored) {
        return new CommissionEvent(stored.eventId() == null ? "replay" : stored.eventId(), "replay", stored.id(), null, Kind.APPROVAL,
                stored.unit(), stored.amount(), stored.status(), stored.promoterId() > 0 ? stored.promoterId() : null, null,
                null, null, null);
    }

    public FulfilmentKey key() {
        return new FulfilmentKey(Source.COMMISSION, commissionId);
    }

    /** What the answer and the log line name: the commission id as the fulfilment id, the event id and the unit. */
    public DeliveryLabels labels() {
        return new DeliveryLabels(commissionId, eventId, unitLabel());
    }

    public String unitLabel() {
        return unit == null ? "none" : Unit.of(unit).label();
    }
}
