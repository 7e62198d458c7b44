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
import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

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
}
