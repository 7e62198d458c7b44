package io.fulfilmentbridge.ledger;

import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.h2.api.Trigger;

/** An H2 trigger that holds every ledger insert until the test lets go: a slow ledger. */
public class HoldLedger implements Trigger {

    static volatile CountDownLatch held = new CountDownLatch(0);

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws java.sql.SQLException {
        try {
            held.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
