package io.fulfilmentbridge.payout;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.api.Trigger;

/** An H2 trigger that fails the outbox row of one fulfilment: a crash after its QUEUED state was written. */
public class FailOutboxRow implements Trigger {

    static volatile long failingFulfilmentId;

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
        // payout_outbox columns: fulfilment_id, attempt, message, created_at, source
        if (((Number) newRow[0]).longValue() == failingFulfilmentId) {
            throw new SQLException("injected failure writing the outbox row");
        }
    }
}
