package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;

/**
 * One credit or point grant as the ledger books it, under the fulfilment's claim (none for a fulfilment
 * recorded with its entries in one transaction). Each entry's parameters, in the order of
 * {@link CreditLedger}'s inserts: source, fulfilment id, account, unit, amount. trace: the delivery's,
 * taken on its own thread (a batch is booked on another's), kept with its FirstPromoter notice.
 */
record LedgerGrant(Fulfilment fulfilment, Claim claim, String trace) {

    /** The promoter's account credited with the amount. */
    Object[] promoterEntry() {
        return new Object[] {fulfilment.key().source().ledgerSource(), fulfilment.id(), fulfilment.ledgerAccount(), fulfilment.unit(),
                fulfilment.amount()};
    }

    /** The unit's funding account (named as the unit) debited with it. */
    Object[] fundingEntry() {
        return new Object[] {fulfilment.key().source().ledgerSource(), fulfilment.id(), fulfilment.unit(), fulfilment.unit(),
                fulfilment.amount().negate()};
    }
}
