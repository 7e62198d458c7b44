package io.fulfilmentbridge.chargebee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.NestedExceptionUtils;

/** bridge.chargebee.*: its defaults, the API host from the site, and the values refused at start-up. */
class ChargebeeSettingsTest {

    private static ChargebeeSettings bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("bridge.chargebee", ChargebeeSettings.class);
    }

    @Test
    void theDefaultsAreNotConfiguredAndSayWhy() {
        ChargebeeSettings settings = bind(Map.of());
        assertThat(settings.configured()).isFalse();
        assertThat(settings.customerField()).isEqualTo("cf_app_customer_id");
        assertThat(settings.idempotencyWindow()).isEqualTo(Duration.ofMinutes(25));
        assertThat(settings.apiBase()).isEmpty();
    }

    @Test
    void theApiHostIsTheSitesUnlessApiBaseSaysOtherwise() {
        assertThat(bind(Map.of("bridge.chargebee.site", "acme-test", "bridge.chargebee.api-key", "k")).apiBase())
                .isEqualTo("https://acme-test.chargebee.com");
        ChargebeeSettings standIn = bind(Map.of("bridge.chargebee.api-key", "k", "bridge.chargebee.api-base", "http://127.0.0.1:1/"));
        assertThat(standIn.apiBase()).isEqualTo("http://127.0.0.1:1");
        assertThat(standIn.configured()).isTrue();
    }

    @Test
    void theKeyIsMasked() {
        assertThat(bind(Map.of("bridge.chargebee.site", "acme", "bridge.chargebee.api-key", "live_secret_value")).toString())
                .contains("apiKey=[set]", "site=acme").doesNotContain("live_secret_value");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            bridge.chargebee.idempotency-window | 31m         | bridge.chargebee.idempotency-window must be at most 30m
            bridge.chargebee.idempotency-window | 0s          | bridge.chargebee.idempotency-window must be more than 0
            bridge.chargebee.site               | acme.evil/x | bridge.chargebee.site must be the site's name
            bridge.chargebee.customer-field     | app_id      | bridge.chargebee.customer-field must be a Chargebee custom field's API name
            bridge.chargebee.read-timeout       | 0s          | bridge.chargebee.read-timeout must be more than 0
            """)
    void aWrongValueIsRefusedNamingTheSetting(String key, String value, String message) {
        assertThatThrownBy(() -> bind(Map.of(key, value))).isInstanceOf(BindException.class)
                .satisfies(e -> assertThat(NestedExceptionUtils.getMostSpecificCause(e).getMessage()).startsWith(message));
    }
}
