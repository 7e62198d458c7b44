package io.fulfilmentbridge.fulfilment;

import java.time.Instant;
import java.util.Optional;

/**
 * What a billing system's records say of the requests sent for a fulfilment's grant, read when a
 * denial finds its approval stuck (docs/promises.md, Webhooks v2 events): a send recorded means the
 * grant may have happened. Each billing system's store answers for its own sends.
 */
public interface GrantSends {

    /** The send recorded for this fulfilment; empty when none was. */
    Optional<Send> find(FulfilmentKey key);

    /**
     * A recorded send: to this system; applied (its answer came, or it was settled as taken effect);
     * else, until when it may still land (bridge.billing.may-land-for after its latest send whose
     * answer was lost; null when none may).
     */
    record Send(String system, boolean applied, Instant mayLandUntil) {

        public boolean mayStillLand(Instant now) {
            return !applied && mayLandUntil != null && now.isBefore(mayLandUntil);
        }
    }
}
