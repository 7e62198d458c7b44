package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;

/**
 * One credit or point grant as the ledger books it: the promoter's account credited with amount, the
 * unit's funding account debited with it, under the fulfilment's claim.
 */
public record LedgerGrant(Claim claim, String account, String unit, BigDecimal amount) {

    static LedgerGrant of(Fulfilment f, Claim claim) {
        return new LedgerGrant(claim, f.ledgerAccount(), f.unit(), f.amount());
    }

    /** The named parameters of route ledger-batch's inserts. */
    Map<String, Object> parameters() {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("id", claim.key().id());
        parameters.put("account", account);
        parameters.put("unit", unit);
        parameters.put("amount", amount);
        parameters.put("debit", amount.negate());
        return parameters;
    }
}
