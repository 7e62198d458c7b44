package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.firstpromoter.AnswerFields.firstId;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.id;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * One open reward of FirstPromoter's own list (a v1 pending payout, or a v2 approved commission not
 * fulfilled), as reconciliation acts on it. The item keeps only the fields a delivery or an approval of it
 * is read from: never the promoter's auth_token or temp_password, which the list answer holds; toString
 * names the reward only.
 *
 * @param key the payout (v1) or commission (v2) id
 * @param unit as listed
 * @param createdAt when FirstPromoter created it; null when it did not say (then it is not acted on)
 * @param statusUpdatedAt a commission's time of its status, which orders it against a denial like an event's timestamp
 * @param item the fields kept of the listed object
 */
public record ListedReward(FulfilmentKey key, String unit, Instant createdAt, Instant statusUpdatedAt, ObjectNode item) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean commission() {
        return key.source() == Source.COMMISSION;
    }

    public boolean cash() {
        return "cash".equals(unit);
    }

    /** A v1 payout as the fulfilment_pending delivery of it would carry it (without the promoter's secrets). */
    public JsonNode delivery() {
        ObjectNode delivery = JSON.createObjectNode();
        delivery.putObject("event").put("id", "reconciliation").put("type", "fulfilment_pending");
        delivery.set("data", item.deepCopy());
        return delivery;
    }

    /** A v2 commission as its approval event would carry it: who, what and when, read from the listed item. */
    CommissionEvent approval() {
        JsonNode promoter = item.path("promoter_campaign").path("promoter");
        JsonNode referral = item.path("referral");
        String amount = text(item.path("amount"));
        return new CommissionEvent("reconciliation", "reconciliation", key.id(), statusUpdatedAt, CommissionEvent.Kind.APPROVAL, unit,
                amount == null ? BigDecimal.ZERO : new BigDecimal(amount), text(item.path("status")),
                firstId(promoter.path("id"), item.path("promoter_campaign").path("promoter_id"), null), text(promoter.path("email")),
                id(referral.path("id")), text(referral.path("email")), text(referral.path("uid")));
    }

    @Override
    public String toString() {
        return (commission() ? "commission " : "payout ") + key.id() + " (" + unit + ")";
    }
}
