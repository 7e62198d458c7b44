package io.fulfilmentbridge.paddle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;

/**
 * A Paddle Billing subscription as the bridge reads it. Dates are cut to the second: the bridge writes
 * whole seconds, and compares what it reads with what it wrote.
 *
 * @param id Paddle's id, sub_...
 * @param status active, trialing, past_due, paused or canceled
 * @param customerId the customer's id, ctm_...
 * @param createdAt when it was created (the newest grantable one is granted)
 * @param firstBilledAt when it was first billed (a trial ends with its first billing); null before
 * @param nextBilledAt when it next bills (for a trialing subscription: when its trial ends); null when
 *        it does not renew
 * @param periodEndsAt the end of its current billing period, or null
 * @param customData its custom_data (an empty object when it has none)
 */
public record PaddleSubscription(String id, String status, String customerId, Instant createdAt, Instant firstBilledAt,
                                 Instant nextBilledAt, Instant periodEndsAt, ObjectNode customData) {

    public static final String TRIALING = "trialing";
    public static final String PAST_DUE = "past_due";

    public boolean trialing() {
        return TRIALING.equals(status);
    }

    static PaddleSubscription of(JsonNode subscription) {
        JsonNode customData = subscription.path("custom_data");
        return new PaddleSubscription(subscription.path("id").asText(), text(subscription, "status"),
                text(subscription, "customer_id"), instant(subscription.path("created_at")),
                instant(subscription.path("first_billed_at")),
                instant(subscription.path("next_billed_at")),
                instant(subscription.path("current_billing_period").path("ends_at")),
                customData.isObject() ? (ObjectNode) customData.deepCopy() : JsonNodeFactory.instance.objectNode());
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** An RFC 3339 date-time of Paddle's, cut to the second; null for none. */
    static Instant instant(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode() || value.asText().isBlank()) {
            return null;
        }
        return OffsetDateTime.parse(value.asText()).toInstant().truncatedTo(ChronoUnit.SECONDS);
    }
}
