package io.fulfilmentbridge.webhook;

import com.fasterxml.jackson.databind.JsonNode;

/** A webhook body that parsed as one JSON object; its fields are not checked yet. */
public record Delivery(JsonNode json, Long fulfilmentId) {
}
