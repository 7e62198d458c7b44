package io.fulfilmentbridge.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * The JSON body of every answer: {"fulfilment_id": 92, "outcome": "granted", "detail": "..."}.
 * The routes decide outcome and detail; this only writes them.
 */
@Component("webhookAnswer")
public class WebhookAnswer {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static String body(Long fulfilmentId, String outcome, String detail) {
        ObjectNode node = JSON.createObjectNode();
        if (fulfilmentId == null) {
            node.putNull("fulfilment_id");
        } else {
            node.put("fulfilment_id", fulfilmentId);
        }
        node.put("outcome", outcome);
        node.put("detail", detail);
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String body(Exchange exchange) {
        return body(exchange.getProperty("fulfilmentId", Long.class),
                exchange.getProperty("outcome", "error", String.class),
                exchange.getProperty("detail", "", String.class));
    }
}
