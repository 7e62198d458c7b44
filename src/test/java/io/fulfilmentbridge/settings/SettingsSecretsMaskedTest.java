package io.fulfilmentbridge.settings;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.console.OperatorSettings;
import io.fulfilmentbridge.firstpromoter.FirstPromoterSettings;
import io.fulfilmentbridge.payout.BrokerSettings;
import io.fulfilmentbridge.stripe.StripeSettings;
import io.fulfilmentbridge.webhook.WebhookSettings;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** A settings record in a log line or an exception never shows a secret: only whether it is set. */
class SettingsSecretsMaskedTest {

    private static final String SECRET = "s3cr3t-value-never-shown";

    /** Every secret setting: keys, passwords, the webhook secret. */
    private static final Map<String, String> SECRETS = Map.of(
            "bridge.webhook.secret", SECRET + "-1," + SECRET + "-2",
            "bridge.stripe.api-key", SECRET,
            "bridge.chargebee.api-key", SECRET,
            "bridge.paddle.api-key", SECRET,
            "bridge.recurly.api-key", SECRET,
            "bridge.firstpromoter.v1-api-key", SECRET,
            "bridge.firstpromoter.api-key", SECRET,
            "bridge.broker.password", SECRET,
            "bridge.operator.password", SECRET);

    @Test
    void noRecordShowsASecret() {
        Map<String, String> properties = new HashMap<>(SECRETS);
        properties.put("bridge.firstpromoter.account-id", "acc_shown");
        Binder binder = new Binder(new MapConfigurationPropertySource(properties));
        for (Class<? extends Record> settings : SettingsConfiguration.RECORDS) {
            String prefix = settings.getAnnotation(ConfigurationProperties.class).value();
            String shown = binder.bindOrCreate(prefix, settings).toString();
            assertThat(shown).as(settings.getSimpleName()).doesNotContain("s3cr3t");
        }
    }

    @Test
    void eachSecretShowsWhetherItIsSet() {
        assertThat(new StripeSettings(SECRET, "https://api.stripe.com", "app_user_id", "trial-extension", "fulfilment-",
                java.time.Duration.ofHours(23), java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(5)))
                .hasToString("StripeSettings[apiKey=[set], apiBase=https://api.stripe.com, customerMetadataKey=app_user_id, "
                        + "freeMonthsStrategy=trial-extension, idempotencyKeyPrefix=fulfilment-, idempotencyWindow=PT23H, "
                        + "connectTimeout=PT2S, readTimeout=PT5S]");
        assertThat(new io.fulfilmentbridge.paddle.PaddleSettings(SECRET, "https://api.paddle.com/", "app_user_id",
                java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(5)))
                .hasToString("PaddleSettings[apiKey=[set], apiBase=https://api.paddle.com, customerCustomDataKey=app_user_id, "
                        + "connectTimeout=PT2S, readTimeout=PT5S]");
        assertThat(new io.fulfilmentbridge.recurly.RecurlySettings(SECRET, "https://v3.recurly.com/", "firstpromoter_grant",
                java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(5)))
                .hasToString("RecurlySettings[apiKey=[set], apiBase=https://v3.recurly.com, markerField=firstpromoter_grant, "
                        + "connectTimeout=PT2S, readTimeout=PT5S]");
        assertThat(new OperatorSettings("operator", SECRET)).hasToString("OperatorSettings[username=operator, password=[set]]");
        assertThat(new OperatorSettings("operator", "")).hasToString("OperatorSettings[username=operator, password=[empty]]");
        assertThat(new BrokerSettings(0, "payout-worker", null, java.nio.file.Path.of("pw")).toString())
                .contains("user=payout-worker", "password=[empty]");
        assertThat(new WebhookSettings("/hook", "/events", SECRET, java.nio.file.Path.of("s"), 1, 1).toString())
                .contains("path=/hook", "secret=[set]").doesNotContain(SECRET);
        Binder binder = new Binder(new MapConfigurationPropertySource(Map.of(
                "bridge.firstpromoter.v1-api-key", SECRET, "bridge.firstpromoter.account-id", "acc_shown")));
        assertThat(binder.bindOrCreate("bridge.firstpromoter", FirstPromoterSettings.class).toString())
                .contains("v1ApiKey=[set]", "apiKey=[empty]", "accountId=acc_shown").doesNotContain(SECRET);
    }
}
