package io.fulfilmentbridge.settings;

import io.fulfilmentbridge.billing.BillingSettings;
import io.fulfilmentbridge.chargebee.ChargebeeSettings;
import io.fulfilmentbridge.console.OperatorSettings;
import io.fulfilmentbridge.firstpromoter.FirstPromoterSettings;
import io.fulfilmentbridge.firstpromoter.ReconciliationSettings;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.payout.BrokerSettings;
import io.fulfilmentbridge.paddle.PaddleSettings;
import io.fulfilmentbridge.payout.CashSettings;
import io.fulfilmentbridge.recurly.RecurlySettings;
import io.fulfilmentbridge.stripe.StripeSettings;
import io.fulfilmentbridge.webhook.WebhookSettings;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The bridge's settings, one record per feature (docs/settings.md lists them): bound and checked at
 * start-up, each default written once, in its record.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({FulfilmentSettings.class, WebhookSettings.class, StripeSettings.class,
        CashSettings.class, BrokerSettings.class, FirstPromoterSettings.class, OperatorSettings.class, BillingSettings.class,
        ChargebeeSettings.class, RecurlySettings.class, PaddleSettings.class, ReconciliationSettings.class})
public class SettingsConfiguration {

    /** Every settings record, for the tests that check them all. */
    public static final List<Class<? extends Record>> RECORDS = List.of(FulfilmentSettings.class, WebhookSettings.class,
            StripeSettings.class, CashSettings.class, BrokerSettings.class, FirstPromoterSettings.class,
            OperatorSettings.class, BillingSettings.class,
            ChargebeeSettings.class, RecurlySettings.class, PaddleSettings.class, ReconciliationSettings.class);

    /** How long a graceful shutdown waits for the deliveries in flight (spring.lifecycle.timeout-per-shutdown-phase). */
    public record ShutdownPhase(Duration timeout) {
    }

    /**
     * Checked at start-up: a graceful shutdown must outlast the time each delivery has to be answered
     * (docs/operations.md, Probes and shutdown), else it cuts deliveries in flight off.
     */
    @Bean
    ShutdownPhase shutdownPhase(FulfilmentSettings fulfilment, Environment environment) {
        Duration timeout = Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                .orElse(Duration.ofSeconds(30));
        if (timeout.compareTo(fulfilment.answerWithin()) <= 0) {
            throw new IllegalArgumentException("spring.lifecycle.timeout-per-shutdown-phase (" + text(timeout)
                    + ") must be more than bridge.answer-within (" + text(fulfilment.answerWithin())
                    + "): a graceful shutdown would cut off deliveries in flight");
        }
        return new ShutdownPhase(timeout);
    }

    private static String text(Duration duration) {
        return duration.toString().substring(2).toLowerCase();
    }
}
