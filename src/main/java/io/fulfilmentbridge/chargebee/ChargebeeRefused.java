package io.fulfilmentbridge.chargebee;

import io.fulfilmentbridge.billing.BillingRefused;

/** Chargebee refused a request as asked (a 4xx other than 401/403), with the status it answered. */
class ChargebeeRefused extends BillingRefused {

    private final int status;

    ChargebeeRefused(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
