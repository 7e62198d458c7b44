package io.fulfilmentbridge.billing;

import io.fulfilmentbridge.billing.GrantSteps.CustomerFound;
import io.fulfilmentbridge.billing.GrantSteps.Plan;
import io.fulfilmentbridge.billing.GrantSteps.Settled;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The order for every billing system: the customer, its lock, its fence where the system has one
 * (nothing is sent while a request whose answer was lost may still land: docs/promises.md, "What
 * proves a lost grant landed": the fence), its grants whose answer was lost settled first, then this
 * grant stored and sent once. Every request that writes
 * a grant goes through {@link #send} to be recorded. The grant is marked applied in the transaction
 * that marks its fulfilment granted.
 */
@Component
public class CustomerGrants {

    private static final Logger LOG = LoggerFactory.getLogger(CustomerGrants.class);

    private final BillingGrants grants;
    private final BillingSends sends;
    private final FulfilmentLifecycle records;
    private final TransactionTemplate transaction;

    public CustomerGrants(BillingGrants grants, BillingSends sends, FulfilmentLifecycle records,
                          TransactionTemplate transaction) {
        this.grants = grants;
        this.sends = sends;
        this.records = records;
        this.transaction = transaction;
    }

    public GrantResult grantOnce(String system, Fulfilment f, Claim claim, Deadline deadline, GrantSteps steps)
            throws InterruptedException {
        Optional<BillingGrant> earlier = grants.find(f.key());
        if (earlier.isPresent() && !earlier.get().system().equals(system)) {
            return GrantResult.parked("sent to " + earlier.get().system() + " before bridge.billing.system became "
                    + system + " (state " + earlier.get().state() + "): check it there");
        }
        CustomerFound customer = earlier.isPresent() ? CustomerFound.found(earlier.get().customerId())
                : steps.customer(f, deadline);
        if (customer.parkReason() != null) {
            return GrantResult.parked(customer.parkReason());
        }
        String customerId = customer.customerId();
        String holder = UUID.randomUUID().toString();
        grants.lockCustomer(system, customerId, holder, System.currentTimeMillis() + deadline.remainingMillis());
        try {
            // A write that hangs after the system's call fails in time for a 503.
            return deadline.boundStatements(0, () -> grantLocked(system, f, claim, customerId, deadline, steps));
        } finally {
            unlock(system, customerId, holder, deadline);
        }
    }

    private GrantResult grantLocked(String system, Fulfilment f, Claim claim, String customerId, Deadline deadline,
                                    GrantSteps steps) {
        // Before any read that decides what to send: a lost request landing after it would undo it.
        if (steps.fenced()) {
            sends.requireNotFenced(system, customerId);
        }
        for (BillingGrant unsettled : grants.unsettled(system, customerId)) {
            boolean mine = unsettled.key().equals(f.key());
            if (!mine && records.isReversed(unsettled.key())) {
                // A denial reversed it and listed it for review: never completed now.
                LOG.info("{} grant of fulfilment {} whose answer was lost is not sent again: its fulfilment was reversed",
                        system, unsettled.key());
                grants.forget(unsettled.key());
                continue;
            }
            String parked = settle(unsettled, mine ? claim : null, deadline, steps);
            if (mine) {
                return parked != null ? GrantResult.parked(parked)
                        : GrantResult.applied("granted in " + system + " (the earlier request, whose answer was lost, "
                                + "had taken effect or was completed now)");
            }
        }
        Optional<BillingGrant> mine = grants.find(f.key());
        if (mine.isPresent() && mine.get().applied()) {
            markGranted(claim);
            return GrantResult.applied("granted in " + system + " before");
        }
        Plan plan = steps.plan(f, customerId, deadline);
        if (plan.parkReason() != null) {
            return GrantResult.parked(plan.parkReason());
        }
        BillingGrant grant = grants.recordSent(plan.grant());
        try {
            steps.send(grant, deadline);
        } catch (BillingRefused refused) {
            grants.forget(grant.key());
            return GrantResult.parked(refused.getMessage());
        }
        markGranted(claim);
        return GrantResult.applied(plan.detail());
    }

    /**
     * Sends one request that writes this grant (a first send or a re-send, from the adapter's send or
     * settle), recorded with its time and whether its answer came back.
     */
    public void send(BillingGrant grant, Runnable request) {
        sends.send(grant.system(), grant.customerId(), grant.key(), request);
    }

    /**
     * Settles a grant whose answer was lost. With this delivery's claim, it is its own fulfilment:
     * marked granted under the claim, else left to the route to park. Returns why it is parked, or null.
     */
    private String settle(BillingGrant grant, Claim claim, Deadline deadline, GrantSteps steps) {
        Settled settled;
        try {
            settled = steps.settle(grant, deadline);
        } catch (BillingRefused refused) {
            settled = Settled.park(refused.getMessage());
        }
        if (settled.parkReason() != null) {
            String reason = settled.parkReason();
            transaction.executeWithoutResult(tx -> {
                grants.forget(grant.key());
                if (claim == null) {
                    records.settleParked(grant.key(), reason);
                }
            });
            return reason;
        }
        LOG.info("{} grant of fulfilment {} settled: {}", grant.system(), grant.key(),
                settled.tookEffect() ? "it had taken effect" : "sent again");
        transaction.executeWithoutResult(tx -> {
            grants.markApplied(grant.key());
            if (claim != null) {
                records.markGranted(claim);
            } else {
                records.settleGranted(grant.key());
            }
        });
        return null;
    }

    private void markGranted(Claim claim) {
        transaction.executeWithoutResult(tx -> {
            grants.markApplied(claim.key());
            records.markGranted(claim);
        });
    }

    /** Best effort within the deadline: a lock left behind runs out after its lease. */
    private void unlock(String system, String customerId, String holder, Deadline deadline) {
        try {
            deadline.boundStatements(Deadline.CLEAN_UP_MILLIS, () -> grants.unlockCustomer(system, customerId, holder));
        } catch (DataAccessException unavailable) {
            LOG.warn("the lock on {} customer {} was not released ({}); it runs out after its lease", system, customerId,
                    unavailable.getClass().getSimpleName());
        }
    }
}
