package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.REVERSED;

import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Reversals (docs/promises.md, Reversals): an applied reward taken back, once, in the caller's
 * transaction, through {@link FulfilmentLifecycle}; and the review of a reversal an operator checked.
 */
@Component
public class FulfilmentReversals {

    private final JdbcTemplate jdbc;
    private final FulfilmentLifecycle lifecycle;

    FulfilmentReversals(JdbcTemplate jdbc, FulfilmentLifecycle lifecycle) {
        this.jdbc = jdbc;
        this.lifecycle = lifecycle;
    }

    /**
     * Reverses the fulfilment if it was applied: REVERSED, with the operator's reason kept, and listed
     * for operators where Stripe or a sent payout needs a person. The row stays locked until the
     * caller's transaction ends, in which the caller adds the effect the result names (the ledger's
     * opposite entries, the outbox row withdrawn); a concurrent reversal then finds it REVERSED.
     */
    public Reversal reverse(FulfilmentKey key, String note) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("a reversal commits with its effect: call it inside a transaction");
        }
        List<Map<String, Object>> rows = jdbc.queryForList(
                "SELECT unit, state, reversal_note, reversed_at FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE",
                key.source().ledgerSource(), key.id());
        if (rows.isEmpty()) {
            return new Reversal(key, Reversal.Found.UNKNOWN, null, null);
        }
        Map<String, Object> row = rows.get(0);
        String unit = (String) row.get("unit");
        FulfilmentState state = FulfilmentState.valueOf((String) row.get("state"));
        Reversal.Found found;
        String listed = Reversal.PAYOUT_REVIEW;
        String detail = null;
        switch (state) {
            case REVERSED -> {
                return new Reversal(key, Reversal.Found.ALREADY_REVERSED, unit, "at " + row.get("reversed_at")
                        + (row.get("reversal_note") == null ? "" : ": " + row.get("reversal_note")));
            }
            case RECEIVED, PARKED, DENIED -> {
                return new Reversal(key, Reversal.Found.NOT_APPLIED, unit,
                        state == FulfilmentState.RECEIVED ? "being applied (or stuck)" : state.name().toLowerCase());
            }
            case GRANTED -> {
                boolean ledger = "credits".equals(unit) || "points".equals(unit);
                found = ledger ? Reversal.Found.CREDITS : Reversal.Found.BILLING;
                listed = ledger ? null : Reversal.BILLING_REVIEW;
            }
            // Listed until its outbox row is found and withdrawn (payoutWithdrawn): the relay may have sent it.
            case QUEUED -> found = Reversal.Found.PAYOUT_QUEUED;
            // Sent: a FAILED payout may still be paid by a worker that corrects itself.
            case PAID, FAILED -> {
                found = Reversal.Found.PAYOUT_SENT;
                detail = state == FulfilmentState.PAID ? "and paid" : "and reported failed";
            }
            default -> throw new IllegalStateException("fulfilment " + key.id() + " is " + state);
        }
        Timestamp now = lifecycle.now();
        int updated = lifecycle.write(FulfilmentLifecycle.move(key, REVERSED, now).from(state)
                .set("reason", listed).set("reversal_note", Columns.cut(note, 1000)).set("reversed_at", now));
        if (updated != 1) {
            throw new IllegalStateException("fulfilment " + key.id() + " changed while it was locked for its reversal");
        }
        return new Reversal(key, found, unit, detail);
    }

    /**
     * A reversed payout's outbox rows deleted in the reversal's transaction: if one was there, the relay
     * (which deletes a row before it sends it) can never send it, and nothing needs a review.
     */
    public Reversal payoutWithdrawn(Reversal reversal, int outboxRowsDeleted) {
        if (!reversal.payoutInOutbox()) {
            throw new IllegalArgumentException("no payout to withdraw: " + reversal);
        }
        if (outboxRowsDeleted == 0) {
            return new Reversal(reversal.key(), Reversal.Found.PAYOUT_SENT, reversal.unit(), "by the outbox relay, not yet paid");
        }
        jdbc.update("UPDATE fulfilments SET reason = NULL WHERE source = ? AND fulfilment_id = ? AND state = ?",
                reversal.key().source().ledgerSource(), reversal.key().id(), REVERSED.name());
        return new Reversal(reversal.key(), Reversal.Found.PAYOUT_WITHDRAWN, reversal.unit(), null);
    }

    /**
     * An operator checked a reversed reward listed for review (the customer in Stripe, a sent payout):
     * no longer listed; the reversal and its note stay. False when it was not listed.
     */
    public boolean dismissReversalReview(FulfilmentKey key) {
        return jdbc.update("UPDATE fulfilments SET reason = NULL, updated_at = ? WHERE source = ? AND fulfilment_id = ? AND "
                + Columns.REVERSED_TO_REVIEW, lifecycle.now(), key.source().ledgerSource(), key.id(), REVERSED.name()) == 1;
    }
}
