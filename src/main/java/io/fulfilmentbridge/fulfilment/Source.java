package io.fulfilmentbridge.fulfilment;

/**
 * Where a fulfilment's id comes from. Ids of different sources are different numbers that can be
 * equal (a legacy payout id and a webhooks-v2 commission id), so a fulfilment is known by its
 * {@link FulfilmentKey}, never by its number alone.
 */
public enum Source {
    /** The legacy fulfilment_pending webhook: data.id is a FirstPromoter v1 payout id. */
    FULFILMENT_PENDING("v1");

    private final String ledgerSource;

    Source(String ledgerSource) {
        this.ledgerSource = ledgerSource;
    }

    /** As ledger_entries.source writes it (contract 9): v1 for a legacy delivery, v2 for a commission. */
    public String ledgerSource() {
        return ledgerSource;
    }
}
