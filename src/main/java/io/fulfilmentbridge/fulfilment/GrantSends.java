package io.fulfilmentbridge.fulfilment;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a billing system's records say of the requests sent for a fulfilment's grant, read when a
 * denial finds its approval stuck (docs/promises.md, Webhooks v2 events): a send recorded means the
 * grant may have happened. Each billing system's store answers for its own sends.
 */
public interface GrantSends {

    /**
     * How long after a send whose answer was lost it may still land: the system may still be working on
     * a request the client gave up on (bridge.billing.may-land-for's default, 2 min).
     */
    Duration MAY_LAND_FOR = Duration.ofMinutes(2);

    /** The send recorded for this fulfilment; empty when none was. */
    Optional<Send> find(FulfilmentKey key);

    /**
     * A recorded send: to this system; applied (its answer came, or it was settled as taken effect);
     * else, until when it may still land.
     */
    record Send(String system, boolean applied, Instant mayLandUntil) {

        public boolean mayStillLand(Instant now) {
            return !applied && mayLandUntil != null && now.isBefore(mayLandUntil);
        }
    }
}
