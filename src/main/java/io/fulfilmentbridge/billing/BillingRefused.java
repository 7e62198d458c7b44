package io.fulfilmentbridge.billing;

/** The billing system refused a request as asked (not a transient failure): the grant is parked with its message. */
public class BillingRefused extends RuntimeException {
    public BillingRefused(String message) {
        super(message, null, false, false);
    }
}
