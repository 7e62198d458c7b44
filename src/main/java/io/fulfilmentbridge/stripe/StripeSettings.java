package io.fulfilmentbridge.stripe;

import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notBlank;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Stripe, for free months.
 *
 * @param apiKey the Stripe secret (or restricted) key; empty: free months are parked, "Stripe not
 *        configured"
 * @param apiBase Stripe's API (a local stand-in's URL in tests and the demo)
 * @param customerMetadataKey the customer metadata key a cust_id that is not a Stripe customer id
 *        (cus_...) is searched under
 * @param freeMonthsStrategy how free months are granted: trial-extension (the subscription's trial is
 *        extended) or balance-credit (a credit on the customer's balance)
 * @param idempotencyKeyPrefix put before the fulfilment id in each grant's idempotency key
 * @param idempotencyWindow a grant whose answer was lost and that did not take effect is re-sent with
 *        the same idempotency key within this time of the key's first use (Stripe keeps keys 24 h), after
 *        it with the next key (key-2)
 * @param connectTimeout the longest wait for a connection to Stripe, further cut to what is left of
 *        the answer deadline
 * @param readTimeout the longest wait for Stripe's answer, further cut to what is left of the answer
 *        deadline; the client never retries by itself
 */
@ConfigurationProperties("bridge.stripe")
public record StripeSettings(
        String apiKey,
        @DefaultValue("https://api.stripe.com") String apiBase,
        @DefaultValue("app_user_id") String customerMetadataKey,
        @DefaultValue(TRIAL_EXTENSION) String freeMonthsStrategy,
        @DefaultValue("fulfilment-") String idempotencyKeyPrefix,
        @DefaultValue("23h") Duration idempotencyWindow,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration readTimeout) {

    public static final String TRIAL_EXTENSION = "trial-extension";
    public static final String BALANCE_CREDIT = "balance-credit";

    public StripeSettings {
        apiKey = apiKey == null ? "" : apiKey;
        notBlank(apiBase, "bridge.stripe.api-base");
        notBlank(customerMetadataKey, "bridge.stripe.customer-metadata-key");
        if (!TRIAL_EXTENSION.equals(freeMonthsStrategy) && !BALANCE_CREDIT.equals(freeMonthsStrategy)) {
            throw new IllegalArgumentException("bridge.stripe.free-months-strategy must be trial-extension or balance-credit");
        }
        idempotencyKeyPrefix = idempotencyKeyPrefix == null ? "" : idempotencyKeyPrefix;
        positive(idempotencyWindow, "bridge.stripe.idempotency-window");
        if (idempotencyWindow.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException("bridge.stripe.idempotency-window must be at most 24h (Stripe keeps "
                    + "idempotency keys 24 h), was " + idempotencyWindow);
        }
        positive(connectTimeout, "bridge.stripe.connect-timeout");
        positive(readTimeout, "bridge.stripe.read-timeout");
    }

    @Override
    public String toString() {
        return "StripeSettings[apiKey=" + masked(apiKey) + ", apiBase=" + apiBase + ", customerMetadataKey="
                + customerMetadataKey + ", freeMonthsStrategy=" + freeMonthsStrategy + ", idempotencyKeyPrefix="
                + idempotencyKeyPrefix + ", idempotencyWindow=" + idempotencyWindow + ", connectTimeout="
                + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }
}
