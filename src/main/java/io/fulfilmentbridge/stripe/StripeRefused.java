package io.fulfilmentbridge.stripe;

import io.fulfilmentbridge.billing.BillingRefused;

/** Stripe answered 400, 402 or 404: the grant cannot be made as asked. Parked with Stripe's message. */
public class StripeRefused extends BillingRefused {
    public StripeRefused(String message) {
        super(message);
    }
}
