package io.fulfilmentbridge.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;

/**
 * A webhook body that parsed as one JSON object; its fields are not checked yet. What the answer and
 * the log name it by: the fulfilment id, and for a fulfilment_pending event its event id and unit label.
 */
public record Delivery(JsonNode json, Long fulfilmentId, String eventType, String eventId, String unitLabel) {

    public DeliveryLabels labels() {
        return new DeliveryLabels(fulfilmentId, eventId, unitLabel);
    }

    public boolean fulfilmentPending() {
        return DeliveryReader.FULFILMENT_PENDING.equals(eventType);
    }
}
