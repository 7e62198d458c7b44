package io.fulfilmentbridge.firstpromoter;

import io.fulfilmentbridge.firstpromoter.FirstPromoterBudget.Caller;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * FirstPromoterCommissions' API v2 reads, each within what is left of the answer's deadline less a reserve
 * for the grant that follows, its request taken from the shared budget first (docs/promises.md, Within
 * FirstPromoter's limit).
 */
final class DeadlineCalls {

    /** Left of the deadline for the grant after these reads (a Stripe call or a ledger batch). */
    static final long GRANT_RESERVE_MILLIS = 1500;

    private final ApiV2 api;
    private final Duration readTimeout;

    DeadlineCalls(ApiV2 api, Duration readTimeout) {
        this.api = api;
        this.readTimeout = readTimeout;
    }

    /**
     * One call, cut to the deadline less the grant's reserve. FirstPromoter down, busy, slow or refusing
     * the key: RetryLater naming the call and status, never the key.
     */
    ApiV2.Reply get(String what, String pathAndQuery, Deadline deadline, Caller caller) {
        long left = deadline.remainingMillis() - GRANT_RESERVE_MILLIS;
        if (left <= 0) {
            throw new RetryLater("no time left to call FirstPromoter's API (" + what + ") before the answer is due; retry later");
        }
        // Its request from the shared budget, waited for within the deadline (docs/promises.md, Within FirstPromoter's limit).
        api.take(caller, left);
        left = deadline.remainingMillis() - GRANT_RESERVE_MILLIS;
        if (left <= 0) {
            throw new RetryLater("no time left to call FirstPromoter's API (" + what + ") before the answer is due; retry later");
        }
        ApiV2.Reply reply;
        try {
            reply = api.get(pathAndQuery, Duration.ofMillis(Math.min(readTimeout.toMillis(), left)));
        } catch (HttpTimeoutException timedOut) {
            throw new RetryLater("FirstPromoter's API timed out (" + what + "); retry later");
        } catch (IOException unreachable) {
            throw new RetryLater("FirstPromoter's API could not be reached (" + what + ": " + unreachable.getClass().getSimpleName()
                    + "); retry later");
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RetryLater("interrupted while calling FirstPromoter's API (" + what + "); retry later");
        }
        if (ApiV2.retryable(reply.status())) {
            throw new RetryLater("FirstPromoter's API answered " + reply.status() + " to " + what
                    + (reply.status() == 401 || reply.status() == 403 ? " (check bridge.firstpromoter.api-key and account-id)" : "")
                    + "; retry later");
        }
        return reply;
    }
}
