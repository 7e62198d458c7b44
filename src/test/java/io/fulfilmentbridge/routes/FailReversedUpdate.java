package io.fulfilmentbridge.routes;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.api.Trigger;

/**
 * An H2 trigger on fulfilments that fails an update of a row already REVERSED: within a reversal, the
 * withdrawal's last write, after the outbox row's delete (the database failing mid-withdrawal).
 */
public class FailReversedUpdate implements Trigger {

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
        // fulfilments columns: fulfilment_id, event_id, unit, amount, promoter_id, customer_ref, received_status, state, ...
        if ("REVERSED".equals(oldRow[7])) {
            throw new SQLException("injected failure after the outbox row's delete");
        }
    }
}
