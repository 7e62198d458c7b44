package io.fulfilmentbridge.fulfilment;

/**
 * What the answer, its count and the deliveries' log line name of a delivery, as far as it was read:
 * nothing secret, each value cut to what the reader accepted. Any may be null (not read yet).
 */
public record DeliveryLabels(Long fulfilmentId, String eventId, String unitLabel) {

    public static DeliveryLabels of(Long fulfilmentId) {
        return new DeliveryLabels(fulfilmentId, null, null);
    }

    /** A replay, once its stored fulfilment is read: no event of its own. */
    public static DeliveryLabels replayOf(Fulfilment stored) {
        return new DeliveryLabels(stored.id(), null, stored.unitLabel());
    }
}
