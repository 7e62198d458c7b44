package io.fulfilmentbridge.settings;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.console.OperatorSettings;
import io.fulfilmentbridge.firstpromoter.FirstPromoterSettings;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.payout.BrokerSettings;
import io.fulfilmentbridge.payout.CashSettings;
import io.fulfilmentbridge.stripe.StripeSettings;
import io.fulfilmentbridge.webhook.WebhookSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;

/** A wrong setting stops the start-up, with a message naming it. */
class SettingsValidationTest {

    private final ApplicationContextRunner bridge = new ApplicationContextRunner()
            .withUserConfiguration(SettingsConfiguration.class);

    @Test
    void theDefaultsStart() {
        bridge.run(context -> {
            assertThat(context).hasNotFailed();
            for (Class<? extends Record> settings : SettingsConfiguration.RECORDS) {
                assertThat(context).hasSingleBean(settings);
            }
            assertThat(context.getBean(StripeSettings.class).freeMonthsStrategy()).isEqualTo(StripeSettings.TRIAL_EXTENSION);
            assertThat(context.getBean(FulfilmentSettings.class).limits().freeMonths()).isEqualTo(24);
            assertThat(context.getBean(FulfilmentSettings.class).groupCommit().batchSize()).isEqualTo(100);
            assertThat(context.getBean(CashSettings.class).queuedStatus()).isEqualTo(202);
            assertThat(context.getBean(BrokerSettings.class).password()).isEmpty();
            assertThat(context.getBean(WebhookSettings.class).secret()).isEmpty();
            assertThat(context.getBean(FirstPromoterSettings.class).v1ApiKey()).isEmpty();
            assertThat(context.getBean(OperatorSettings.class).consoleOn()).isFalse();
        });
    }

    @Test
    void acceptedValuesStart() {
        bridge.withPropertyValues("bridge.stripe.free-months-strategy=balance-credit", "bridge.cash.queued-status=200",
                "bridge.broker.tcp-port=0", "bridge.cash.results-outage-wait=0s", "bridge.stripe.idempotency-window=24h",
                "bridge.firstpromoter.api-key=fp_v2", "bridge.firstpromoter.account-id=acc", "bridge.firstpromoter.max-attempts=1",
                "bridge.firstpromoter.requests-per-minute=2")
                .run(context -> assertThat(context).hasNotFailed());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bridge.stripe.free-months-strategy=bogus   | bridge.stripe.free-months-strategy must be trial-extension or balance-credit
            bridge.cash.queued-status=300              | bridge.cash.queued-status must be between 200 and 299, was 300
            bridge.cash.queued-status=500              | bridge.cash.queued-status must be between 200 and 299, was 500
            bridge.cash.queued-status=199              | bridge.cash.queued-status must be between 200 and 299, was 199
            bridge.answer-within=0s                    | bridge.answer-within must be more than 0
            bridge.answer-within=-1s                   | bridge.answer-within must be more than 0
            spring.lifecycle.timeout-per-shutdown-phase=9s | spring.lifecycle.timeout-per-shutdown-phase (9s) must be more than bridge.answer-within (9s): a graceful shutdown would cut off deliveries in flight
            bridge.claim-lease=0s                      | bridge.claim-lease must be more than 0
            bridge.stuck-after=-5m                     | bridge.stuck-after must be more than 0
            bridge.group-commit.batch-size=0           | bridge.group-commit.batch-size must be at least 1, was 0
            bridge.group-commit.committers=0           | bridge.group-commit.committers must be at least 1, was 0
            bridge.limits.free-months=0                | bridge.limits.free-months must be at least 1, was 0
            bridge.limits.credits=-1                   | bridge.limits.credits must be more than 0
            bridge.limits.cash-cents=0                 | bridge.limits.cash-cents must be at least 1, was 0
            bridge.webhook.path=webhooks               | bridge.webhook.path must start with /
            bridge.webhook.max-body-bytes=0            | bridge.webhook.max-body-bytes must be at least 1, was 0
            bridge.webhook.max-drain-bytes=-1          | bridge.webhook.max-drain-bytes must be at least 0, was -1
            bridge.stripe.idempotency-window=0s        | bridge.stripe.idempotency-window must be more than 0
            bridge.stripe.idempotency-window=25h       | bridge.stripe.idempotency-window must be at most 24h
            bridge.stripe.connect-timeout=0s           | bridge.stripe.connect-timeout must be more than 0
            bridge.stripe.read-timeout=-2s             | bridge.stripe.read-timeout must be more than 0
            bridge.cash.relay-interval=0ms             | bridge.cash.relay-interval must be more than 0
            bridge.cash.results-outage-wait=-1s        | bridge.cash.results-outage-wait must not be negative
            bridge.cash.queue=                         | bridge.cash.queue must not be empty
            bridge.broker.tcp-port=70000               | bridge.broker.tcp-port must be between 0 and 65535, was 70000
            bridge.firstpromoter.max-attempts=0        | bridge.firstpromoter.max-attempts must be at least 1, was 0
            bridge.firstpromoter.retry-backoff=0s      | bridge.firstpromoter.retry-backoff must be more than 0
            bridge.firstpromoter.poll-interval=-1s     | bridge.firstpromoter.poll-interval must be more than 0
            bridge.firstpromoter.read-timeout=0s       | bridge.firstpromoter.read-timeout must be more than 0
            bridge.firstpromoter.cache-ttl=0s          | bridge.firstpromoter.cache-ttl must be more than 0
            bridge.firstpromoter.mark-fulfilled-for=-1h | bridge.firstpromoter.mark-fulfilled-for must be more than 0
            bridge.firstpromoter.api-key=fp_v2_key     | bridge.firstpromoter.api-key is set but bridge.firstpromoter.account-id (BRIDGE_FIRSTPROMOTER_ACCOUNT_ID) is empty: FirstPromoter's API v2 needs both
            bridge.firstpromoter.inbound=v2            | bridge.firstpromoter.inbound is v2, which needs bridge.firstpromoter.api-key (BRIDGE_FIRSTPROMOTER_API_KEY) and bridge.firstpromoter.account-id
            bridge.firstpromoter.inbound=both          | bridge.firstpromoter.inbound must be legacy (the fulfilment_pending webhook) or v2 (webhooks v2 commission events), was 'both'
            bridge.firstpromoter.inbound=V2            | bridge.firstpromoter.inbound must be legacy
            bridge.firstpromoter.requests-per-minute=0 | bridge.firstpromoter.requests-per-minute must be between 2 and 10000, was 0
            bridge.firstpromoter.requests-per-minute=1 | bridge.firstpromoter.requests-per-minute must be between 2 and 10000, was 1
            bridge.firstpromoter.requests-per-minute=24000 | bridge.firstpromoter.requests-per-minute must be between 2 and 10000, was 24000
            bridge.event-retention=29d                 | bridge.event-retention must be at least 30d
            bridge.paddle.api-base=api.paddle.com      | bridge.paddle.api-base must be an http(s) URL
            bridge.paddle.customer-custom-data-key=    | bridge.paddle.customer-custom-data-key must not be empty
            bridge.paddle.read-timeout=0s              | bridge.paddle.read-timeout must be more than 0
            bridge.recurly.api-base=v3.recurly.com     | bridge.recurly.api-base must be an http(s) URL
            bridge.recurly.marker-field=first promoter | bridge.recurly.marker-field must be a Recurly custom field name
            bridge.recurly.read-timeout=0s             | bridge.recurly.read-timeout must be more than 0
            """)
    void aWrongValueFailsTheStartNamingIt(String property, String message) {
        bridge.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            Throwable cause = NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure());
            assertThat(cause).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
        });
    }

    @Test
    void anOperatorPasswordNeedsAUser() {
        bridge.withPropertyValues("bridge.operator.password=pw", "bridge.operator.username= ").run(context -> {
            assertThat(context).hasFailed();
            assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
                    .hasMessageContaining("bridge.operator.username must not be empty when bridge.operator.password is set");
        });
        // Without a password the console is off, and the user name does not matter.
        bridge.withPropertyValues("bridge.operator.username= ").run(context -> assertThat(context).hasNotFailed());
    }
}
