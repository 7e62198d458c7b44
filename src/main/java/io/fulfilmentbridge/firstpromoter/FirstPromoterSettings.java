package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.fulfilment.SettingChecks.atLeast;
import static io.fulfilmentbridge.fulfilment.SettingChecks.between;
import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;
import static io.fulfilmentbridge.fulfilment.SettingChecks.notBlank;
import static io.fulfilmentbridge.fulfilment.SettingChecks.positive;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.StringUtils;

/**
 * Optional (docs/promises.md, Telling FirstPromoter): telling FirstPromoter's API that a reward it still holds pending is
 * fulfilled, after a payout is paid or a replay applied it: legacy rewards with v1-api-key, v2 commissions
 * with api-key; nothing is told with neither. API v2 also says whose a v2 commission's reward is (docs/promises.md, Webhooks v2 events).
 *
 * @param inbound the kind of webhook this bridge applies: legacy (the fulfilment_pending webhook) or v2
 *        (webhooks v2 commission events, which needs api-key and account-id); the other kind's endpoint
 *        answers 202 ignored
 * @param v1ApiKey the API key on FirstPromoter's Settings page (sent as X-API-KEY), for API v1, which
 *        closes a fulfilment_pending reward's v1 payout; empty: legacy rewards are not closed through the API
 * @param v1ApiBase FirstPromoter's API v1
 * @param apiKey the API v2 key (sent as a Bearer token), for v2 commissions (docs/promises.md, Webhooks v2 events): reads
 *        the commission, the promoter and the reward, and calls mark_fulfilled; never used for a v1 payout
 *        id; needs account-id
 * @param accountId the FirstPromoter account id API v2 calls name (Settings > Integrations); required
 *        with api-key
 * @param apiBase FirstPromoter's API v2
 * @param connectTimeout the longest wait for a connection to FirstPromoter
 * @param readTimeout the longest wait for FirstPromoter's answer
 * @param pollInterval how often the fulfilments whose notice is due are looked for
 * @param maxAttempts attempts per fulfilment before the notice is given up
 * @param retryBackoff the wait after the first failed attempt; it doubles after each further one, up to an hour
 * @param markFulfilledFor how long a v2 commission's mark_fulfilled is retried after its first attempt
 *        (a 422 included: FirstPromoter may not have made the payout record yet); then it is given up and
 *        listed for operators. max-attempts counts for v1 payouts only
 * @param cacheTtl how long promoters and the rewards list read from API v2 are reused before they are read
 *        again
 * @param requestsPerMinute the calls to FirstPromoter every instance together makes in a minute (list pages,
 *        payout updates, mark_fulfilled, commission reads); deliveries draw first, reconciliation and notices
 *        take at most half. FirstPromoter allows 400 a minute per account, shared with the team's own use of
 *        its API (docs/promises.md, Within FirstPromoter's limit). 2 to 10000; above 400 only for an account
 *        whose limit FirstPromoter raised, or a stand-in (a warning at start-up). The environment's
 *        BRIDGE_FIRSTPROMOTER_REQUESTS_PER_MINUTE sets it too
 */
@ConfigurationProperties("bridge.firstpromoter")
public record FirstPromoterSettings(
        @DefaultValue(LEGACY) String inbound,
        String v1ApiKey,
        @DefaultValue("https://firstpromoter.com") String v1ApiBase,
        String apiKey,
        String accountId,
        @DefaultValue("https://api.firstpromoter.com") String apiBase,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration readTimeout,
        @DefaultValue("5s") Duration pollInterval,
        @DefaultValue("6") int maxAttempts,
        @DefaultValue("1m") Duration retryBackoff,
        @DefaultValue("24h") Duration markFulfilledFor,
        @DefaultValue("5m") Duration cacheTtl,
        @DefaultValue("200") int requestsPerMinute) {

    public static final String LEGACY = "legacy";
    public static final String V2 = "v2";
    /** FirstPromoter's documented limit, per account (its API v2 introduction). */
    public static final int DOCUMENTED_LIMIT = 400;
    /** Past any account's limit, or a value meant per hour or per second: refused at start-up. */
    static final int MAX_REQUESTS_PER_MINUTE = 10_000;

    public FirstPromoterSettings {
        if (!LEGACY.equals(inbound) && !V2.equals(inbound)) {
            // One kind per bridge (docs/promises.md, Webhooks v2 events): FirstPromoter's docs link no payout id to a commission id.
            throw new IllegalArgumentException("bridge.firstpromoter.inbound must be legacy (the fulfilment_pending webhook) "
                    + "or v2 (webhooks v2 commission events), was '" + inbound + "'");
        }
        v1ApiKey = v1ApiKey == null ? "" : v1ApiKey;
        apiKey = apiKey == null ? "" : apiKey;
        accountId = accountId == null ? "" : accountId;
        if (V2.equals(inbound) && (!StringUtils.hasText(apiKey) || !StringUtils.hasText(accountId))) {
            // A v2 approval names no customer, and its reward is closed through the API: both are needed.
            throw new IllegalArgumentException("bridge.firstpromoter.inbound is v2, which needs bridge.firstpromoter.api-key "
                    + "(BRIDGE_FIRSTPROMOTER_API_KEY) and bridge.firstpromoter.account-id (BRIDGE_FIRSTPROMOTER_ACCOUNT_ID): "
                    + "a commission's recipient is read from FirstPromoter's API, and its reward closed there");
        }
        if (StringUtils.hasText(apiKey) && !StringUtils.hasText(accountId)) {
            // Every v2 call names the account; say so at start-up rather than at the first call.
            throw new IllegalArgumentException("bridge.firstpromoter.api-key is set but bridge.firstpromoter.account-id "
                    + "(BRIDGE_FIRSTPROMOTER_ACCOUNT_ID) is empty: FirstPromoter's API v2 needs both");
        }
        notBlank(v1ApiBase, "bridge.firstpromoter.v1-api-base");
        notBlank(apiBase, "bridge.firstpromoter.api-base");
        positive(connectTimeout, "bridge.firstpromoter.connect-timeout");
        positive(readTimeout, "bridge.firstpromoter.read-timeout");
        positive(pollInterval, "bridge.firstpromoter.poll-interval");
        atLeast(maxAttempts, 1, "bridge.firstpromoter.max-attempts");
        positive(retryBackoff, "bridge.firstpromoter.retry-backoff");
        positive(markFulfilledFor, "bridge.firstpromoter.mark-fulfilled-for");
        positive(cacheTtl, "bridge.firstpromoter.cache-ttl");
        // At least 2: background draws take half, rounded down. Above the documented 400 only for an account
        // whose limit FirstPromoter raised, or a stand-in (the bridge warns at start-up).
        between(requestsPerMinute, 2, MAX_REQUESTS_PER_MINUTE, "bridge.firstpromoter.requests-per-minute");
    }

    @Override
    public String toString() {
        return "FirstPromoterSettings[inbound=" + inbound + ", v1ApiKey=" + masked(v1ApiKey) + ", v1ApiBase=" + v1ApiBase + ", apiKey="
                + masked(apiKey) + ", accountId=" + accountId + ", apiBase=" + apiBase + ", connectTimeout="
                + connectTimeout + ", readTimeout=" + readTimeout + ", pollInterval=" + pollInterval
                + ", maxAttempts=" + maxAttempts + ", retryBackoff=" + retryBackoff + ", markFulfilledFor=" + markFulfilledFor
                + ", cacheTtl=" + cacheTtl + ", requestsPerMinute=" + requestsPerMinute + "]";
    }
}
