package io.fulfilmentbridge.fulfilment;

/** A downstream failed, timed out or is busy with the same fulfilment; nothing was half applied. Answered 503. */
public class RetryLater extends RuntimeException {
    public RetryLater(String reason) {
        super(reason, null, false, false);
    }
}
