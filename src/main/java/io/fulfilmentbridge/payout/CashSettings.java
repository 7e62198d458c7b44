package io.fulfilmentbridge.payout;

import static io.fulfilmentbridge.fulfilment.SettingChecks.between;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notBlank;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notNegative;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Cash rewards: the payout queue a payout worker consumes, and its results.
 *
 * @param queue the queue payouts are sent to, for the payout worker
 * @param resultsQueue the queue the payout worker sends each payout's result to
 * @param deadLetterQueue where a result that cannot be read or recorded ends up
 * @param currency the currency of every payout, sent in each payout message
 * @param queuedStatus the HTTP status (200 to 299) of the answer to a delivery whose cash was queued
 *        for the payout worker
 * @param relayInterval how often the outbox of payouts is relayed to the payout queue
 * @param resultsOutageWait while the database is unreachable a payout result waits this long (retried
 *        with growing pauses) before it goes back to the broker to be delivered again
 */
@ConfigurationProperties("bridge.cash")
public record CashSettings(
        @DefaultValue("payouts") String queue,
        @DefaultValue("payouts.results") String resultsQueue,
        @DefaultValue("DLQ") String deadLetterQueue,
        @DefaultValue("usd") String currency,
        @DefaultValue("202") int queuedStatus,
        @DefaultValue("250ms") Duration relayInterval,
        @DefaultValue("3m") Duration resultsOutageWait) {

    public CashSettings {
        notBlank(queue, "bridge.cash.queue");
        notBlank(resultsQueue, "bridge.cash.results-queue");
        notBlank(deadLetterQueue, "bridge.cash.dead-letter-queue");
        notBlank(currency, "bridge.cash.currency");
        between(queuedStatus, 200, 299, "bridge.cash.queued-status");
        positive(relayInterval, "bridge.cash.relay-interval");
        notNegative(resultsOutageWait, "bridge.cash.results-outage-wait");
    }
}
