package io.fulfilmentbridge.webhook;

import static io.fulfilmentbridge.fulfilment.SettingChecks.atLeast;
import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The webhook FirstPromoter sends fulfilments to.
 *
 * @param path the URL path deliveries are posted to
 * @param eventsPath the URL path of FirstPromoter's webhooks v2 events (answered as bridge.firstpromoter.inbound says)
 * @param secret one or more shared secrets the URL carries, comma separated (several let one be rotated
 *        without downtime); empty: one is generated into secret-file
 * @param secretFile where the secret generated without a configured one is kept, readable only by the
 *        bridge's user (only its path is logged)
 * @param maxBodyBytes the largest delivery body taken; a larger one is answered 413
 * @param maxDrainBytes a larger body is read and discarded up to this size so the sender gets its 413;
 *        beyond it the connection is closed
 */
@ConfigurationProperties("bridge.webhook")
public record WebhookSettings(
        @DefaultValue("/webhooks/firstpromoter/fulfilment") String path,
        @DefaultValue("/webhooks/firstpromoter/events") String eventsPath,
        String secret,
        @DefaultValue("./data/webhook-secret") Path secretFile,
        @DefaultValue("65536") int maxBodyBytes,
        @DefaultValue("16777216") long maxDrainBytes) {

    public WebhookSettings {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("bridge.webhook.path must start with /, was " + path);
        }
        if (eventsPath == null || !eventsPath.startsWith("/") || eventsPath.equals(path)) {
            throw new IllegalArgumentException("bridge.webhook.events-path must start with / and differ from bridge.webhook.path, was "
                    + eventsPath);
        }
        secret = secret == null ? "" : secret;
        if (secretFile == null) {
            throw new IllegalArgumentException("bridge.webhook.secret-file must not be empty");
        }
        atLeast(maxBodyBytes, 1, "bridge.webhook.max-body-bytes");
        atLeast(maxDrainBytes, 0, "bridge.webhook.max-drain-bytes");
    }

    @Override
    public String toString() {
        return "WebhookSettings[path=" + path + ", eventsPath=" + eventsPath + ", secret=" + masked(secret) + ", secretFile=" + secretFile
                + ", maxBodyBytes=" + maxBodyBytes + ", maxDrainBytes=" + maxDrainBytes + "]";
    }
}
