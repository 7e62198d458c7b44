package io.fulfilmentbridge.paddle;

import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notBlank;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Paddle Billing, for free months when bridge.billing.system is paddle.
 *
 * @param apiKey the Paddle Billing API key (permissions customer.read, subscription.read and
 *        subscription.write); empty: free months are parked, "Paddle not configured"
 * @param apiBase Paddle's API (https://sandbox-api.paddle.com for the sandbox; a local stand-in's URL in
 *        tests and the demo)
 * @param customerCustomDataKey the key of a Paddle customer's custom_data that holds the app's own
 *        customer id (a cust_id that is not a Paddle customer id, ctm_...); matched among the customers
 *        with the promoter's email, as Paddle cannot filter customers by custom_data
 * @param connectTimeout the longest wait for a connection to Paddle, further cut to what is left of
 *        the answer deadline
 * @param readTimeout the longest wait for Paddle's answer, further cut to what is left of the answer
 *        deadline; the client never retries by itself
 */
@ConfigurationProperties("bridge.paddle")
public record PaddleSettings(
        String apiKey,
        @DefaultValue("https://api.paddle.com") String apiBase,
        @DefaultValue("app_user_id") String customerCustomDataKey,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration readTimeout) {

    public PaddleSettings {
        apiKey = apiKey == null ? "" : apiKey.trim();
        notBlank(apiBase, "bridge.paddle.api-base");
        if (!apiBase.startsWith("https://") && !apiBase.startsWith("http://")) {
            throw new IllegalArgumentException("bridge.paddle.api-base must be an http(s) URL, was " + apiBase);
        }
        apiBase = apiBase.endsWith("/") ? apiBase.substring(0, apiBase.length() - 1) : apiBase;
        notBlank(customerCustomDataKey, "bridge.paddle.customer-custom-data-key");
        positive(connectTimeout, "bridge.paddle.connect-timeout");
        positive(readTimeout, "bridge.paddle.read-timeout");
    }

    public boolean configured() {
        return !apiKey.isEmpty();
    }

    @Override
    public String toString() {
        return "PaddleSettings[apiKey=" + masked(apiKey) + ", apiBase=" + apiBase + ", customerCustomDataKey="
                + customerCustomDataKey + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }
}
