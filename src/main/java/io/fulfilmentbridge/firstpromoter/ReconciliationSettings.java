package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.fulfilment.SettingChecks.notNegative;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Reconciliation with FirstPromoter's own lists of the rewards it still holds open (docs/promises.md,
 * Nothing lost when every delivery failed): route reconciliation asks them every interval and applies,
 * closes or lists each reward once, through the same route as a delivery of it.
 *
 * @param enabled whether reconciliation runs; unset: on whenever the inbound kind's API key is set
 *        (bridge.firstpromoter.v1-api-key for a legacy bridge, bridge.firstpromoter.api-key for a v2 one).
 *        On without that key, the bridge does not start
 * @param interval how often FirstPromoter's lists are read (one run at a time across every instance)
 * @param grace a reward created more recently than this is left to its webhook
 * @param since nothing created before this moment is applied, so turning reconciliation on never replays
 *        an account's history; unset: the moment reconciliation first ran on this database, stored there
 * @param campaignIds only the rewards of these FirstPromoter campaigns; empty: every campaign's
 */
@ConfigurationProperties("bridge.reconciliation")
public record ReconciliationSettings(
        Boolean enabled,
        @DefaultValue("15m") Duration interval,
        @DefaultValue("30m") Duration grace,
        Instant since,
        List<Long> campaignIds) {

    public ReconciliationSettings {
        positive(interval, "bridge.reconciliation.interval");
        notNegative(grace, "bridge.reconciliation.grace");
        campaignIds = campaignIds == null ? List.of() : List.copyOf(campaignIds);
        for (Long campaign : campaignIds) {
            if (campaign == null || campaign <= 0) {
                throw new IllegalArgumentException("bridge.reconciliation.campaign-ids holds FirstPromoter campaign ids (positive "
                        + "integers), not " + campaign);
            }
        }
    }

    /** Whether it runs, given whether the inbound kind's API key is set; on without the key is refused. */
    public boolean runsWith(boolean inboundKeySet, String keyName) {
        if (Boolean.TRUE.equals(enabled) && !inboundKeySet) {
            throw new IllegalArgumentException("bridge.reconciliation.enabled is true but " + keyName
                    + " is not set: FirstPromoter's lists of open rewards are read with it");
        }
        return enabled == null ? inboundKeySet : enabled;
    }
}
