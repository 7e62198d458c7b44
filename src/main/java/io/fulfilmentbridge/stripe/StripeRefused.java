package io.fulfilmentbridge.stripe;

/** Stripe answered 400, 402 or 404: the grant cannot be made as asked. Parked with Stripe's message. */
public class StripeRefused extends RuntimeException {
    public StripeRefused(String message) {
        super(message, null, false, false);
    }
}
