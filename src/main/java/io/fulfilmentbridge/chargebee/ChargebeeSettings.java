package io.fulfilmentbridge.chargebee;

import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Chargebee (API v2), when bridge.billing.system is chargebee.
 *
 * @param site the Chargebee site, the first label of its host name (acme for acme.chargebee.com,
 *        acme-test for its test site); empty with no api-base: grants are parked, "Chargebee not configured"
 * @param apiKey the site's API key (full access, or a restricted key with the permissions
 *        docs/billing-chargebee.md lists); empty: grants are parked, "Chargebee not configured"
 * @param apiBase Chargebee's API host; empty: https://&lt;site&gt;.chargebee.com (a local stand-in's URL in
 *        tests and the demo)
 * @param customerField the customer custom field (cf_...) holding the app's own customer id, looked up
 *        when a cust_id is not a Chargebee customer id; empty: not looked up. Chargebee filters on it only
 *        once the field is made filterable, so every match is checked to carry the value
 * @param idempotencyWindow a term-end change whose answer was lost is re-sent with the same
 *        idempotency key within this time of the key's first use (Chargebee's docs: keys are kept 30
 *        minutes); after it, only the subscription as read decides
 * @param connectTimeout the longest wait for a connection to Chargebee, further cut to what is left
 *        of the answer deadline
 * @param readTimeout the longest wait for Chargebee's answer, further cut to what is left of the answer deadline
 */
@ConfigurationProperties("bridge.chargebee")
public record ChargebeeSettings(
        String site,
        String apiKey,
        String apiBase,
        @DefaultValue("cf_app_customer_id") String customerField,
        @DefaultValue("25m") Duration idempotencyWindow,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration readTimeout) {

    /** Chargebee's documented idempotency window. */
    public static final Duration KEY_RETENTION = Duration.ofMinutes(30);
    // A site name is a host label: it goes into the default API host as it is.
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern CUSTOM_FIELD = Pattern.compile("cf_[A-Za-z0-9_]{1,50}");

    public ChargebeeSettings {
        site = site == null ? "" : site.trim();
        apiKey = apiKey == null ? "" : apiKey;
        if (!site.isEmpty() && !SITE.matcher(site).matches()) {
            throw new IllegalArgumentException("bridge.chargebee.site must be the site's name (acme for "
                    + "acme.chargebee.com), was '" + site + "'");
        }
        apiBase = apiBase == null || apiBase.isBlank() ? (site.isEmpty() ? "" : "https://" + site + ".chargebee.com")
                : apiBase.trim();
        while (apiBase.endsWith("/")) {
            apiBase = apiBase.substring(0, apiBase.length() - 1);
        }
        customerField = customerField == null ? "" : customerField.trim();
        if (!customerField.isEmpty() && !CUSTOM_FIELD.matcher(customerField).matches()) {
            throw new IllegalArgumentException("bridge.chargebee.customer-field must be a Chargebee custom field's API "
                    + "name (cf_ then letters, digits or _), or empty, was '" + customerField + "'");
        }
        positive(idempotencyWindow, "bridge.chargebee.idempotency-window");
        if (idempotencyWindow.compareTo(KEY_RETENTION) > 0) {
            throw new IllegalArgumentException("bridge.chargebee.idempotency-window must be at most 30m (Chargebee "
                    + "keeps idempotency keys 30 minutes), was " + idempotencyWindow);
        }
        positive(connectTimeout, "bridge.chargebee.connect-timeout");
        positive(readTimeout, "bridge.chargebee.read-timeout");
    }

    /** A key and a host to call: without both, grants are parked. */
    public boolean configured() {
        return !apiKey.isBlank() && !apiBase.isEmpty();
    }

    @Override
    public String toString() {
        return "ChargebeeSettings[site=" + site + ", apiKey=" + masked(apiKey) + ", apiBase=" + apiBase
                + ", customerField=" + customerField + ", idempotencyWindow=" + idempotencyWindow + ", connectTimeout="
                + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }
}
