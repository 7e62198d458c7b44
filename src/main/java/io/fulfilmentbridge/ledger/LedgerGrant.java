package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;

/**
 * One credit or point grant as the ledger books it: the promoter's account credited with amount, the
 * unit's funding account debited with it, under the fulfilment's claim (none for a fulfilment booked
 * with its record in one transaction, see {@link LedgerBatches#creditFirst}). parameters: the named
 * parameters of route ledger-batch's inserts (source as ledger_entries.source writes the key's), made once (the sql component asks for them per parameter).
 */
public record LedgerGrant(Fulfilment fulfilment, Claim claim, String account, String unit, BigDecimal amount,
        Map<String, Object> parameters) {

    static LedgerGrant of(Fulfilment f, Claim claim) {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("source", f.key().source().ledgerSource());
        parameters.put("id", f.key().id());
        parameters.put("account", f.ledgerAccount());
        parameters.put("unit", f.unit());
        parameters.put("amount", f.amount());
        parameters.put("debit", f.amount().negate());
        return new LedgerGrant(f, claim, f.ledgerAccount(), f.unit(), f.amount(), Map.copyOf(parameters));
    }
}
