package io.fulfilmentbridge.recurly;

import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notBlank;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Recurly (API v2021-02-25), when bridge.billing.system is recurly. The app's own customer id is the
 * Recurly account's code (Recurly reads an account by code-&lt;code&gt;).
 *
 * @param apiKey the Recurly private API key; empty: free months and discounts are parked, "Recurly not
 *        configured"
 * @param apiBase Recurly's API (a local stand-in's URL in tests and the demo)
 * @param markerField the custom field each grant writes its fulfilment (fulfilment-&lt;id&gt; or
 *        commission-&lt;id&gt;) into, in the same request: the subscription's for free months, the
 *        credit's for mon_discount; it must be defined in Recurly for subscriptions and charges. Empty:
 *        no marker, a lost grant is settled from its dates (free months) or its description (credits)
 * @param connectTimeout the longest wait for a connection to Recurly, further cut to what is left of
 *        the answer deadline
 * @param readTimeout the longest wait for Recurly's answer, further cut to what is left of the answer
 *        deadline; the bridge never retries by itself
 */
@ConfigurationProperties("bridge.recurly")
public record RecurlySettings(
        String apiKey,
        @DefaultValue("https://v3.recurly.com") String apiBase,
        @DefaultValue("firstpromoter_grant") String markerField,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration readTimeout) {

    public RecurlySettings {
        apiKey = apiKey == null ? "" : apiKey;
        notBlank(apiBase, "bridge.recurly.api-base");
        if (!apiBase.matches("https?://.+")) {
            throw new IllegalArgumentException("bridge.recurly.api-base must be an http(s) URL, was " + apiBase);
        }
        apiBase = apiBase.replaceAll("/+$", "");
        markerField = markerField == null ? "" : markerField.trim();
        // Recurly's rule for custom field names.
        if (!markerField.isEmpty() && !markerField.matches("[A-Za-z0-9_-]{1,50}")) {
            throw new IllegalArgumentException("bridge.recurly.marker-field must be a Recurly custom field name "
                    + "(letters, digits, _ and -, at most 50), was " + markerField);
        }
        positive(connectTimeout, "bridge.recurly.connect-timeout");
        positive(readTimeout, "bridge.recurly.read-timeout");
    }

    public boolean configured() {
        return !apiKey.isBlank();
    }

    @Override
    public String toString() {
        return "RecurlySettings[apiKey=" + masked(apiKey) + ", apiBase=" + apiBase + ", markerField=" + markerField
                + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }
}
