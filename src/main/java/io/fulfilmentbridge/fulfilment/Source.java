package io.fulfilmentbridge.fulfilment;

/**
 * Where a fulfilment's id comes from. Ids of different sources are different numbers that can be
 * equal (a legacy payout id and a webhooks-v2 commission id), so a fulfilment is known by its
 * {@link FulfilmentKey}, never by its number alone: every table keyed by a fulfilment has a source
 * column (V9), written as {@link #ledgerSource()}.
 */
public enum Source {
    /** The legacy fulfilment_pending webhook: data.id is a FirstPromoter v1 payout id. */
    FULFILMENT_PENDING("v1"),
    /**
     * A webhooks v2 commission: data.id is a commission id; the value keeps the records, the ledger and Stripe's keys apart from legacy ids of the same number.
     */
    COMMISSION("v2");

    private final String ledgerSource;

    Source(String ledgerSource) {
        this.ledgerSource = ledgerSource;
    }

    /**
     * As ledger_entries.source writes it: v1 for a legacy delivery, v2 for a commission; the source
     * column of fulfilments, payout_outbox, billing_grants, billing_sends and payout_anomalies holds the same.
     */
    public String ledgerSource() {
        return ledgerSource;
    }

    /** The source a source column names (v1 or v2). */
    public static Source ofColumn(String column) {
        for (Source source : values()) {
            if (source.ledgerSource.equals(column)) {
                return source;
            }
        }
        throw new IllegalArgumentException("no source is written " + column);
    }
}
