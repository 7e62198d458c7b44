package io.fulfilmentbridge.webhook;

/** A delivery that is malformed or misses a required field: answered 400 with the reason. */
public class RejectedDelivery extends RuntimeException {
    public RejectedDelivery(String reason) {
        super(reason, null, false, false);
    }
}
