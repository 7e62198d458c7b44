package io.fulfilmentbridge.webhook;

import java.math.BigDecimal;

/**
 * A {@code fulfilment_pending} delivery once its required fields are read: what the routes work on.
 * It holds nothing secret: the promoter's auth_token and temp_password are never read.
 */
public record Fulfilment(
        long id,
        String eventId,
        String unit,
        BigDecimal amount,
        String status,
        long promoterId,
        String custId,
        String email) {

    /** Names the ledger accounts the bridge derives from promoter ids; no cust_id may start with it (contract 5). */
    public static final String DERIVED_ACCOUNT_PREFIX = "fp-promoter:";

    /** The promoter's ledger account: the cust_id when there is one, else one named after the promoter. */
    public String ledgerAccount() {
        return custId != null ? custId : DERIVED_ACCOUNT_PREFIX + promoterId;
    }
}
