package io.fulfilmentbridge.payout;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.RewardLimits;
import io.fulfilmentbridge.tracing.Spans;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Cash (docs/promises.md, The payout queue): a payout queued durably for the payout worker through a
 * transactional outbox. The QUEUED state and the outbox row commit together, in one transaction held
 * here rather than in the route, so no edit of route cash-payout can split them; route payout-relay
 * sends the row.
 */
@Component
public class CashPayouts {

    private final RewardLimits limits;
    private final FulfilmentClaims claims;
    private final FulfilmentLifecycle lifecycle;
    private final PayoutMessages messages;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final Spans spans;

    public CashPayouts(RewardLimits limits, FulfilmentClaims claims, FulfilmentLifecycle lifecycle, PayoutMessages messages, JdbcTemplate jdbc,
                TransactionTemplate transaction, Spans spans) {
        this.spans = spans;
        this.limits = limits;
        this.claims = claims;
        this.lifecycle = lifecycle;
        this.messages = messages;
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /**
     * Queues the cash fulfilment's payout, or answers why not. claim: the replay's, or null for a
     * delivery, which claims only when it must: seen for the first time and within bounds, it is
     * recorded QUEUED (attempt 1) with its outbox row in one commit; known before, it is claimed, and a
     * fulfilment settled before is answered with what was decided. Out of bounds: parked. A failure
     * after this method claimed the fulfilment releases the claim, so the next delivery takes it over at
     * once (as error-handling does for a claim the route holds).
     */
    public Answer queue(Fulfilment fulfilment, Claim claim, Deadline deadline) throws Exception {
        String parkReason = limits.cash(fulfilment);
        if (claim == null && parkReason == null) {
            String payout = messages.payout(fulfilment, 1);
            if (Boolean.TRUE.equals(transaction.execute(tx -> lifecycle.insertQueued(fulfilment) && insertOutboxRow(fulfilment, 1, payout)))) {
                return Answer.queuedFirst(fulfilment);
            }
        }
        if (claim != null) {
            return queueClaimed(fulfilment, claim, parkReason, deadline);
        }
        return claims.underClaim(fulfilment, deadline, taken -> queueClaimed(fulfilment, taken, parkReason, deadline));
    }

    private Answer queueClaimed(Fulfilment fulfilment, Claim claim, String parkReason, Deadline deadline) throws JsonProcessingException {
        if (!claim.held()) {
            return claim.answer();
        }
        if (parkReason != null) {
            return lifecycle.park(claim, parkReason, deadline);
        }
        String payout = messages.payout(fulfilment, claim.attempt());
        transaction.executeWithoutResult(tx -> {
            lifecycle.markQueued(claim);
            insertOutboxRow(fulfilment, claim.attempt(), payout);
        });
        return Answer.queued(fulfilment, claim);
    }

    /** The row keeps the delivery's trace, which the relay's message carries on (docs/operations.md, Traces). */
    private boolean insertOutboxRow(Fulfilment fulfilment, int attempt, String payout) {
        jdbc.update("INSERT INTO payout_outbox (source, fulfilment_id, attempt, message, traceparent, created_at) VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                fulfilment.key().source().ledgerSource(), fulfilment.id(), attempt, payout, spans.traceparent());
        return true;
    }
}
