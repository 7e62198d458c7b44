package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.GroupCommit;
import io.fulfilmentbridge.fulfilment.RewardLimits;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Credits and points in the ledger (docs/promises.md, Exactly once): the promoter's account credited and
 * the unit's funding account debited, with the fulfilment's GRANTED state in the same transaction. The
 * grants of deliveries that arrive together are booked in one transaction (group commit); a batch that
 * fails, maybe for one grant's sake (its lease lost, a row refused), is booked again one grant at a time
 * by each delivery, so the others still commit.
 */
@Component
public class CreditLedger {

    private static final String PROMOTER_ENTRY = "INSERT INTO ledger_entries (source, fulfilment_id, account_kind, account, unit, amount) "
            + "VALUES (?, ?, 'PROMOTER', ?, ?, ?)";
    private static final String FUNDING_ENTRY = "INSERT INTO ledger_entries (source, fulfilment_id, account_kind, account, unit, amount) "
            + "VALUES (?, ?, 'FUNDING', ?, ?, ?)";

    private final RewardLimits limits;
    private final FulfilmentClaims claims;
    private final FulfilmentLifecycle lifecycle;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final GroupCommit<LedgerGrant, Void> grants;
    private final GroupCommit<LedgerGrant, Boolean> firstGrants;

    public CreditLedger(RewardLimits limits, FulfilmentClaims claims, FulfilmentLifecycle lifecycle, JdbcTemplate jdbc,
                        TransactionTemplate transaction, MeterRegistry meters, FulfilmentSettings settings) {
        this.limits = limits;
        this.claims = claims;
        this.lifecycle = lifecycle;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.grants = new GroupCommit<>("ledger", settings.groupCommit().batchSize(), settings.groupCommit().committers(),
                meters, this::bookTogether);
        this.firstGrants = new GroupCommit<>("first-grants", settings.groupCommit().batchSize(), settings.groupCommit().committers(),
                meters, this::bookFirstTogether);
    }

    /**
     * Route credits: the reward booked, or why not. claim: null for a delivery not claimed yet, which, when
     * in bounds, is first tried as a fulfilment never seen before (recorded GRANTED with its entries in one
     * commit, no claim); one known before is claimed here. A claim settled before answers what was decided;
     * an amount out of bounds is parked. Throws RetryLater or the database's failure, having released a
     * claim taken here (the webhook route's error handling answers it).
     */
    public Answer credit(Fulfilment fulfilment, Claim claim, Deadline deadline) throws Exception {
        String parkReason = limits.credits(fulfilment);
        if (claim != null) {
            return creditClaimed(fulfilment, claim, parkReason, deadline);
        }
        if (parkReason == null) {
            Answer first = creditFirst(fulfilment, deadline);
            if (first != null) {
                return first;
            }
        }
        return claims.underClaim(fulfilment, deadline, taken -> creditClaimed(fulfilment, taken, parkReason, deadline));
    }

    private Answer creditClaimed(Fulfilment fulfilment, Claim claim, String parkReason, Deadline deadline) throws Exception {
        if (!claim.held()) {
            return claim.answer();
        }
        if (parkReason != null) {
            return lifecycle.park(claim, parkReason, deadline);
        }
        book(fulfilment, claim, deadline);
        return Answer.credited(fulfilment);
    }

    /**
     * A fulfilment never seen before: its GRANTED record and its two entries in one transaction,
     * group-committed with those of deliveries arriving together; answered once committed. Null when the
     * fulfilment is known already: it is claimed and goes the usual way (answered granted before, waited
     * for, or a parked one evaluated afresh).
     */
    private Answer creditFirst(Fulfilment fulfilment, Deadline deadline) throws Exception {
        LedgerGrant grant = new LedgerGrant(fulfilment, null, lifecycle.currentTrace());
        boolean inserted;
        try {
            inserted = firstGrants.commit(grant, deadline.remainingMillis());
        } catch (GroupCommit.NotCommitted alone) {
            inserted = bookFirstTogether(List.of(grant)).get(0);
        }
        return inserted ? Answer.credited(fulfilment) : null;
    }

    /** One transaction: the batch's records inserted GRANTED unless known, and the entries of those that were new. */
    private List<Boolean> bookFirstTogether(List<LedgerGrant> batch) {
        return transaction.execute(status -> {
            List<Boolean> inserted = lifecycle.insertGranted(batch.stream().map(LedgerGrant::fulfilment).toList(),
                    batch.stream().map(LedgerGrant::trace).toList());
            List<LedgerGrant> fresh = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                if (inserted.get(i)) {
                    fresh.add(batch.get(i));
                }
            }
            insertEntries(fresh);
            return inserted;
        });
    }

    /** The claimed fulfilment's GRANTED state and its two entries; returns once they are committed. */
    private void book(Fulfilment fulfilment, Claim claim, Deadline deadline) throws Exception {
        LedgerGrant grant = new LedgerGrant(fulfilment, claim, lifecycle.currentTrace());
        try {
            grants.commit(grant, deadline.remainingMillis());
        } catch (GroupCommit.NotCommitted alone) {
            bookTogether(List.of(grant));
        }
    }

    /**
     * One transaction: each fulfilment granted under its claim, and its two entries. Guarded by each
     * delivery's lease: if one lost its claim the batch is refused, then booked again one grant at a time,
     * so only the one taken over is refused.
     */
    private List<Void> bookTogether(List<LedgerGrant> batch) {
        transaction.executeWithoutResult(status -> {
            lifecycle.markAllGranted(batch.stream().map(LedgerGrant::claim).toList(), batch.stream().map(LedgerGrant::trace).toList());
            insertEntries(batch);
        });
        return Collections.nCopies(batch.size(), null);
    }

    /** All the promoter entries in one batch of statements, then all the funding entries. */
    private void insertEntries(List<LedgerGrant> batch) {
        if (batch.isEmpty()) {
            return;
        }
        jdbc.batchUpdate(PROMOTER_ENTRY, batch.stream().map(LedgerGrant::promoterEntry).toList());
        jdbc.batchUpdate(FUNDING_ENTRY, batch.stream().map(LedgerGrant::fundingEntry).toList());
    }

    @PreDestroy
    void stop() throws InterruptedException {
        grants.stop();
        firstGrants.stop();
    }
}
