package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;

/**
 * What one billing system does for {@link CustomerGrants}: docs/promises.md's billing promises in the
 * system's own terms. Any step may throw {@code RetryLater} (a transient failure: answered 503).
 */
public interface GrantSteps {

    /**
     * Whether a request to this system whose answer was lost fences its customer for
     * bridge.billing.may-land-for (docs/promises.md, "What proves a lost grant landed": the fence).
     * Stripe is not fenced: it holds each idempotency key 24 hours, and a lost grant is settled by
     * its marker at once, then sent again under the same key (docs/promises.md, the Stripe item).
     */
    default boolean fenced() {
        return true;
    }

    /** The customer the fulfilment names: by the system's id, the app's id, the email; none or several: park. */
    CustomerFound customer(Fulfilment fulfilment, Deadline deadline);

    /** Under the customer's lock: reads the subscription and plans the grant, or why it cannot be (to park). */
    Plan plan(Fulfilment fulfilment, String customerId, Deadline deadline);

    /**
     * Sends the stored grant under its idempotency key (a first send, or again). Throws BillingRefused
     * when the system refuses it as asked: the grant is forgotten and the fulfilment parked with the message.
     */
    void send(BillingGrant grant, Deadline deadline);

    /**
     * A grant sent before whose answer was lost: read the system; TOOK_EFFECT only on what its own
     * request left (its marker, or a key the system still holds), never on a date (docs/promises.md,
     * What proves a lost grant landed); sent again where the rules allow (the same key within the
     * system's key window, else {@link BillingGrants#recordNextKey} with a target from now): SENT_AGAIN;
     * else park with what was seen.
     */
    Settled settle(BillingGrant grant, Deadline deadline);

    /** The customer found, or why none is. */
    record CustomerFound(String customerId, String parkReason) {
        public static CustomerFound found(String customerId) {
            return new CustomerFound(customerId, null);
        }

        public static CustomerFound none(String parkReason) {
            return new CustomerFound(null, parkReason);
        }
    }

    /** The grant to store and send, with how the answer describes it; or why it cannot be. */
    record Plan(BillingGrant grant, String detail, String parkReason) {
        public static Plan send(BillingGrant grant, String detail) {
            return new Plan(grant, detail, null);
        }

        public static Plan park(String reason) {
            return new Plan(null, null, reason);
        }
    }

    /** What settling a lost grant found: it had taken effect, it was sent again, or why it is parked. */
    record Settled(boolean tookEffect, String parkReason) {
        public static final Settled TOOK_EFFECT = new Settled(true, null);
        public static final Settled SENT_AGAIN = new Settled(false, null);

        public static Settled park(String reason) {
            return new Settled(false, reason);
        }

        /**
         * Parked because nothing tells whether the lost request landed: only an operator's replay applies it
         * (docs/promises.md, What proves a lost grant landed).
         */
        public static Settled mayHaveLanded(String reason) {
            return new Settled(false, FulfilmentLifecycle.MAY_HAVE_LANDED + reason);
        }
    }
}
