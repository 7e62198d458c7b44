package io.fulfilmentbridge.payout;

import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.h2.api.Trigger;

/**
 * An H2 trigger that holds an operator's replay of one fulfilment while it claims the row (its
 * update to RECEIVED, before that commits), until the test lets go: a replay being applied.
 */
public class HoldReplayClaim implements Trigger {

    static volatile long fulfilmentId;
    static volatile CountDownLatch entered = new CountDownLatch(1);
    static volatile CountDownLatch release = new CountDownLatch(0);

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) {
        // fulfilments columns: fulfilment_id, event_id, unit, amount, promoter_id, customer_ref, received_status, state, ...
        if (((Number) newRow[0]).longValue() == fulfilmentId && "RECEIVED".equals(newRow[7]) && "FAILED".equals(oldRow[7])) {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
