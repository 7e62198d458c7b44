package io.fulfilmentbridge.ledger;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.api.Trigger;

/** An H2 trigger that fails the funding entry of one fulfilment: a crash between the two entries. */
public class FailFundingEntry implements Trigger {

    static volatile long failingFulfilmentId;

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
        // ledger_entries columns: entry_id, fulfilment_id, account_kind, ...
        if (((Number) newRow[1]).longValue() == failingFulfilmentId && "FUNDING".equals(newRow[2])) {
            throw new SQLException("injected failure between the two ledger entries");
        }
    }
}
