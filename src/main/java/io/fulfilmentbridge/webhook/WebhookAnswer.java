package io.fulfilmentbridge.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import java.nio.charset.StandardCharsets;
import org.springframework.stereotype.Component;

/**
 * The JSON body of every answer: {"fulfilment_id": 92, "outcome": "granted", "detail": "..."}.
 * The routes decide the answer; this only writes it.
 */
@Component("webhookAnswer")
public class WebhookAnswer {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static String body(Long fulfilmentId, Answer answer) {
        ObjectNode node = JSON.createObjectNode();
        if (fulfilmentId == null) {
            node.putNull("fulfilment_id");
        } else {
            node.put("fulfilment_id", fulfilmentId);
        }
        node.put("outcome", answer.outcome().label());
        node.put("detail", answer.detail());
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The answer route's step: the JSON as UTF-8 bytes, written as they are whatever the platform's
     * charset. The servlet filter, which answers before any route, calls the static form.
     */
    public byte[] write(DeliveryLabels labels, Answer answer) {
        return body(labels == null ? null : labels.fulfilmentId(), answer).getBytes(StandardCharsets.UTF_8);
    }
}
