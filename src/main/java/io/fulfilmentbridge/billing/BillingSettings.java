package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.SettingChecks;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which billing system grants free months, and how long a request to it whose answer was lost may still land.
 *
 * @param system the billing system whose adapter grants free months and discounts: stripe, chargebee, recurly or paddle (Paddle Billing)
 * @param mayLandFor how long after a request to the billing system whose answer was lost it may still take effect there:
 *        until then nothing more is sent to that customer (the grant is answered 503, and so is a denial of the approval stuck after it), then the lost request is settled
 *        by reading the system first; Stripe's customers are not held back (a lost Stripe grant is settled by its marker at once), only such a denial;
 *        at least twice bridge.answer-within, which bounds every request's wait
 */
@ConfigurationProperties("bridge.billing")
public record BillingSettings(@DefaultValue("stripe") String system, @DefaultValue("2m") Duration mayLandFor) {

    public BillingSettings {
        SettingChecks.notBlank(system, "bridge.billing.system");
        SettingChecks.positive(mayLandFor, "bridge.billing.may-land-for");
    }

    /**
     * The system may still be working on a request the bridge gave up on, for about as long again as
     * the bridge waited (docs/promises.md, "What proves a lost grant landed": the fence): the fence lasts at least twice the longest wait.
     */
    static void requireMayLandFor(Duration mayLandFor, Duration answerWithin) {
        if (mayLandFor.compareTo(answerWithin.multipliedBy(2)) < 0) {
            throw new IllegalStateException("bridge.billing.may-land-for (" + mayLandFor.toString().substring(2).toLowerCase()
                    + ") must be at least twice bridge.answer-within (" + answerWithin.toString().substring(2).toLowerCase()
                    + "): a request to the billing system whose answer the bridge stopped waiting for may still be "
                    + "under way there that long");
        }
    }
}
