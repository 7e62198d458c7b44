package io.fulfilmentbridge.chargebee;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Chargebee's resources as the bridge reads them: only the fields it uses, read from the JSON answers. */
final class ChargebeeModels {

    private ChargebeeModels() {
    }

    /** A customer; customField reads its custom fields (cf_...), which Chargebee puts beside the others. */
    record Customer(String id, String email, boolean deleted, JsonNode json) {

        static Customer of(JsonNode customer) {
            return new Customer(customer.path("id").asText(null), customer.path("email").asText(null),
                    customer.path("deleted").asBoolean(false), customer);
        }

        String customField(String name) {
            return json.path(name).isValueNode() ? json.get(name).asText() : null;
        }
    }

    /** A subscription: what decides whether it takes a grant, and the dates a term-end change moves. */
    record Subscription(String id, String status, long createdAt, Instant currentTermEnd, Instant trialEnd,
                        String currencyCode) {

        /** The statuses change_term_end takes; Chargebee has no past-due status (a subscription in dunning stays active). */
        static final Set<String> GRANTABLE = Set.of("active", "in_trial", "non_renewing");

        static Subscription of(JsonNode subscription) {
            return new Subscription(subscription.path("id").asText(null), subscription.path("status").asText(""),
                    subscription.path("created_at").asLong(0), instant(subscription.path("current_term_end")),
                    instant(subscription.path("trial_end")), subscription.path("currency_code").asText(null));
        }

        boolean grantable() {
            return GRANTABLE.contains(status);
        }

        boolean inTrial() {
            return "in_trial".equals(status);
        }

        /** The date change_term_end moves: the trial end while in trial, else the current term end (null: none shown). */
        Instant termEnd() {
            return inTrial() ? trialEnd : currentTermEnd;
        }

        /** The later of the current term end and the trial end, or null when it shows neither. */
        Instant latestEnd() {
            if (currentTermEnd == null) {
                return trialEnd;
            }
            return trialEnd == null || currentTermEnd.isAfter(trialEnd) ? currentTermEnd : trialEnd;
        }

        private static Instant instant(JsonNode epochSeconds) {
            return epochSeconds.canConvertToLong() ? Instant.ofEpochSecond(epochSeconds.asLong()) : null;
        }
    }

    /** A promotional credit: an increment or a decrement, with the reference it was given. */
    record PromotionalCredit(String id, String type, String reference) {

        static PromotionalCredit of(JsonNode credit) {
            return new PromotionalCredit(credit.path("id").asText(null), credit.path("type").asText(""),
                    credit.path("reference").asText(null));
        }
    }

    /** A page of a list call, and the offset of the next page, or null. */
    record Page<T>(List<T> items, String nextOffset) {
    }
}
