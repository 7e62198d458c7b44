package io.fulfilmentbridge.paddle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A Paddle Billing customer as the bridge reads it.
 *
 * @param id Paddle's id, ctm_...
 * @param email the customer's email
 * @param status active or archived
 * @param customData the customer's custom_data (an empty object when it has none)
 */
public record PaddleCustomer(String id, String email, String status, JsonNode customData) {

    /** Whether custom_data holds this value (as text) under this key. */
    public boolean hasCustomData(String key, String value) {
        JsonNode held = customData.get(key);
        return held != null && held.isValueNode() && held.asText().equals(value);
    }

    static PaddleCustomer of(JsonNode customer) {
        JsonNode customData = customer.path("custom_data");
        return new PaddleCustomer(customer.path("id").asText(), PaddleSubscription.text(customer, "email"),
                PaddleSubscription.text(customer, "status"),
                customData.isObject() ? customData : JsonNodeFactory.instance.objectNode());
    }
}
