package io.fulfilmentbridge.settings;

import static io.fulfilmentbridge.settings.SettingsSources.bind;
import static io.fulfilmentbridge.settings.SettingsSources.environment;
import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.console.OperatorSettings;
import io.fulfilmentbridge.firstpromoter.FirstPromoterSettings;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.payout.BrokerSettings;
import io.fulfilmentbridge.payout.CashSettings;
import io.fulfilmentbridge.stripe.StripeSettings;
import io.fulfilmentbridge.webhook.WebhookSettings;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Every environment name the contract gives reaches its setting through the real application.yaml, and
 * so do the relaxed forms of the others (BRIDGE_CASH_QUEUEDSTATUS), for the records and for what the
 * route files read ({{bridge.cash.queued-status}}).
 */
class SettingsEnvironmentTest {

    static Stream<Arguments> contractNames() {
        return Stream.of(
                form("BRIDGE_WEBHOOK_SECRET", "whsec-env-1,whsec-env-2", WebhookSettings.class, WebhookSettings::secret),
                form("BRIDGE_STRIPE_API_KEY", "sk_test_env", StripeSettings.class, StripeSettings::apiKey),
                form("BRIDGE_FIRSTPROMOTER_V1_API_KEY", "fp_v1_env", FirstPromoterSettings.class, FirstPromoterSettings::v1ApiKey),
                form("BRIDGE_FIRSTPROMOTER_ACCOUNT_ID", "acc_env", FirstPromoterSettings.class, FirstPromoterSettings::accountId),
                form("BRIDGE_BROKER_USER", "worker-env", BrokerSettings.class, BrokerSettings::user),
                form("BRIDGE_BROKER_PASSWORD", "broker-password-env", BrokerSettings.class, BrokerSettings::password),
                form("BRIDGE_OPERATOR_USERNAME", "operator-env", OperatorSettings.class, OperatorSettings::username),
                form("BRIDGE_OPERATOR_PASSWORD", "operator-password-env", OperatorSettings.class, OperatorSettings::password));
    }

    private static <T> Arguments form(String variable, String value, Class<T> settings, Function<T, Object> setting) {
        return Arguments.of(variable, value, settings, setting);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("contractNames")
    <T> void contractNameReachesItsSetting(String variable, String value, Class<T> settings, Function<T, Object> setting) {
        assertThat(setting.apply(bind(environment(Map.of(variable, value)), settings))).isEqualTo(value);
    }

    @Test
    void firstPromoterV2KeyWithItsAccount() {
        FirstPromoterSettings settings = bind(environment(Map.of(
                "BRIDGE_FIRSTPROMOTER_API_KEY", "fp_v2_env", "BRIDGE_FIRSTPROMOTER_ACCOUNT_ID", "acc_env")),
                FirstPromoterSettings.class);
        assertThat(settings.apiKey()).isEqualTo("fp_v2_env");
        assertThat(settings.accountId()).isEqualTo("acc_env");
    }

    @Test
    void firstPromoterRequestsPerMinute() {
        assertThat(bind(environment(Map.of("BRIDGE_FIRSTPROMOTER_REQUESTS_PER_MINUTE", "350")), FirstPromoterSettings.class)
                .requestsPerMinute()).isEqualTo(350);
        assertThat(bind(environment(Map.of("BRIDGE_FIRSTPROMOTER_REQUESTSPERMINUTE", "120")), FirstPromoterSettings.class)
                .requestsPerMinute()).isEqualTo(120);
        assertThat(bind(environment(Map.of()), FirstPromoterSettings.class).requestsPerMinute()).isEqualTo(200);
    }

    @Test
    void firstPromoterCacheAndMarkFulfilledWindow() {
        FirstPromoterSettings settings = bind(environment(Map.of(
                "BRIDGE_FIRSTPROMOTER_CACHETTL", "1m", "BRIDGE_FIRSTPROMOTER_MARKFULFILLEDFOR", "12h")), FirstPromoterSettings.class);
        assertThat(settings.cacheTtl()).isEqualTo(Duration.ofMinutes(1));
        assertThat(settings.markFulfilledFor()).isEqualTo(Duration.ofHours(12));
        FirstPromoterSettings defaults = bind(environment(Map.of()), FirstPromoterSettings.class);
        assertThat(defaults.cacheTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.markFulfilledFor()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void withoutTheEnvironmentTheDefaults() {
        StandardEnvironment environment = environment(Map.of());
        assertThat(bind(environment, StripeSettings.class).apiKey()).isEmpty();
        assertThat(bind(environment, WebhookSettings.class).secret()).isEmpty();
        assertThat(bind(environment, BrokerSettings.class).user()).isEqualTo("payout-worker");
        assertThat(bind(environment, OperatorSettings.class).username()).isEqualTo("operator");
        assertThat(bind(environment, OperatorSettings.class).consoleOn()).isFalse();
        assertThat(bind(environment, CashSettings.class).queuedStatus()).isEqualTo(202);
        assertThat(bind(environment, FulfilmentSettings.class).answerWithin()).isEqualTo(Duration.ofSeconds(9));
    }

    @Test
    void relaxedFormsOfTheOtherSettings() {
        StandardEnvironment environment = environment(Map.of(
                "BRIDGE_CASH_QUEUEDSTATUS", "200",
                "BRIDGE_ANSWERWITHIN", "5s",
                "BRIDGE_GROUPCOMMIT_BATCHSIZE", "50",
                "BRIDGE_LIMITS_CASHCENTS", "5000",
                "BRIDGE_LIMITS_CREDITS", "10",
                "BRIDGE_STRIPE_FREEMONTHSSTRATEGY", "balance-credit",
                "BRIDGE_STRIPE_APIBASE", "http://127.0.0.1:9",
                "BRIDGE_WEBHOOK_MAXBODYBYTES", "1024",
                "BRIDGE_FIRSTPROMOTER_MAXATTEMPTS", "3",
                "BRIDGE_BROKER_TCPPORT", "0"));
        assertThat(bind(environment, CashSettings.class).queuedStatus()).isEqualTo(200);
        FulfilmentSettings fulfilment = bind(environment, FulfilmentSettings.class);
        assertThat(fulfilment.answerWithin()).isEqualTo(Duration.ofSeconds(5));
        assertThat(fulfilment.groupCommit().batchSize()).isEqualTo(50);
        assertThat(fulfilment.groupCommit().committers()).isEqualTo(2);
        assertThat(fulfilment.limits().cashCents()).isEqualTo(5000);
        assertThat(fulfilment.limits().credits()).isEqualByComparingTo(BigDecimal.TEN);
        assertThat(fulfilment.limits().freeMonths()).isEqualTo(24);
        StripeSettings stripe = bind(environment, StripeSettings.class);
        assertThat(stripe.freeMonthsStrategy()).isEqualTo(StripeSettings.BALANCE_CREDIT);
        assertThat(stripe.apiBase()).isEqualTo("http://127.0.0.1:9");
        assertThat(bind(environment, WebhookSettings.class).maxBodyBytes()).isEqualTo(1024);
        assertThat(bind(environment, FirstPromoterSettings.class).maxAttempts()).isEqualTo(3);
        assertThat(bind(environment, BrokerSettings.class).tcpPort()).isZero();
        // What the route files read through Camel's {{...}}, from the same environment.
        assertThat(environment.getProperty("bridge.cash.queued-status")).isEqualTo("200");
    }

    @Test
    void theRoutesReadTheRelaxedFormsToo() {
        StandardEnvironment environment = environment(Map.of(
                "BRIDGE_CASH_QUEUE", "payouts-env",
                "BRIDGE_CASH_RELAYINTERVAL", "1s",
                "BRIDGE_WEBHOOK_PATH", "/hooks/env",
                "BRIDGE_FIRSTPROMOTER_POLLINTERVAL", "30s"));
        assertThat(environment.getProperty("bridge.cash.queue")).isEqualTo("payouts-env");
        assertThat(environment.getProperty("bridge.cash.relay-interval")).isEqualTo("1s");
        assertThat(environment.getProperty("bridge.webhook.path")).isEqualTo("/hooks/env");
        assertThat(environment.getProperty("bridge.firstpromoter.poll-interval")).isEqualTo("30s");
        assertThat(bind(environment, CashSettings.class).queue()).isEqualTo("payouts-env");
        assertThat(bind(environment, WebhookSettings.class).path()).isEqualTo("/hooks/env");
    }
}
