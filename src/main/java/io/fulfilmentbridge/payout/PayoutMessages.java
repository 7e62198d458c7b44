package io.fulfilmentbridge.payout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.springframework.stereotype.Component;

/** The JSON of the payout queue (docs/promises.md, The payout queue): the message sent, and the result read back. */
@Component("payoutMessages")
public class PayoutMessages {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String currency;

    public PayoutMessages(CashSettings settings) {
        this.currency = settings.currency();
    }

    /** One payout attempt, as the payout worker reads it. */
    public String payout(Fulfilment f, int attempt) throws JsonProcessingException {
        ObjectNode node = JSON.createObjectNode();
        // Payouts stay legacy: v2 cash is not acted on (docs/promises.md, Webhooks v2 events), so this id is a v1 payout id (PayoutResult.key).
        node.put("fulfilment_id", f.id());
        node.put("attempt", attempt);
        node.put("promoter_id", f.promoterId());
        if (f.custId() == null) {
            node.putNull("cust_id");
        } else {
            node.put("cust_id", f.custId());
        }
        node.put("email", f.email());
        node.put("amount_cents", f.amount().longValueExact());
        node.put("currency", currency);
        node.put("created_at", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        return JSON.writeValueAsString(node);
    }

    /** The payout worker's answer; an unreadable one is refused with the reason. */
    public PayoutResult result(String body) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new UnreadablePayoutResult("not JSON");
        }
        if (node == null || !node.isObject()) {
            throw new UnreadablePayoutResult("not a JSON object");
        }
        JsonNode id = node.path("fulfilment_id");
        JsonNode attempt = node.path("attempt");
        String status = node.path("status").asText("");
        // Integral JSON numbers only: 92.7 is no fulfilment id (canConvertToLong alone would read it as 92).
        if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() <= 0
                || !attempt.isIntegralNumber() || !attempt.canConvertToInt() || attempt.asInt() <= 0) {
            throw new UnreadablePayoutResult("fulfilment_id and attempt must be positive integers");
        }
        if (!status.equals("paid") && !status.equals("failed")) {
            throw new UnreadablePayoutResult("status must be paid or failed");
        }
        String reference = node.path("reference").isValueNode() ? node.path("reference").asText() : null;
        return new PayoutResult(id.asLong(), attempt.asInt(), status,
                reference != null && reference.length() > 255 ? reference.substring(0, 255) : reference);
    }

    /** Read by the routes through its accessors: a getter beside an accessor makes Camel's simple language ambiguous. */
    public record PayoutResult(long fulfilmentId, int attempt, String status, String reference) {
        /**
         * The paid or failed fulfilment: always a legacy one. v2 cash is not acted on (docs/promises.md, Webhooks v2 events), so a
         * v2 commission is never paid out and a payout message's fulfilment_id is a legacy payout id.
         */
        public FulfilmentKey key() {
            return FulfilmentKey.pending(fulfilmentId);
        }

        public String getFailureReason() {
            return "payout failed" + (reference == null ? "" : ": " + reference);
        }
    }

    public static class UnreadablePayoutResult extends RuntimeException {
        public UnreadablePayoutResult(String reason) {
            super(reason, null, false, false);
        }
    }
}
