package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.REVERSED;

import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Reversals (docs/promises.md, Reversals): an applied reward taken back, once, with its effect, in one
 * transaction held here (not in route fulfilment-reversal, so no edit of the route can split them),
 * through {@link FulfilmentLifecycle}; and the review of a reversal an operator checked.
 */
@Component
public class FulfilmentReversals {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final FulfilmentLifecycle lifecycle;

    FulfilmentReversals(JdbcTemplate jdbc, TransactionTemplate transaction, FulfilmentLifecycle lifecycle) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.lifecycle = lifecycle;
    }

    /** Route fulfilment-reversal's step: {@link #reverse(FulfilmentKey, String)} of what it was handed. */
    public Reversal reverse(ReversalRequest request) {
        return reverse(request.key(), request.note());
    }

    /**
     * Reverses the fulfilment if it was applied, and its effect, all committed together or nothing: the
     * record REVERSED ({@link #reverseRecord}); credits and points get two ledger entries opposite to the
     * grant's; a payout still in the outbox is withdrawn. The result says what was found and done.
     */
    public Reversal reverse(FulfilmentKey key, String note) {
        return transaction.execute(tx -> {
            Reversal reversal = reverseRecord(key, note);
            if (reversal.creditsToReverse()) {
                bookOppositeEntries(key);
            }
            // The relay deletes a row before it sends it, in its own transaction: whichever delete comes first
            // wins the row, so a payout withdrawn here is never sent, and one the relay took is found gone (sent).
            if (reversal.payoutInOutbox()) {
                return payoutWithdrawn(reversal, jdbc.update("DELETE FROM payout_outbox WHERE source = ? AND fulfilment_id = ?",
                        key.source().ledgerSource(), key.id()));
            }
            return reversal;
        });
    }

    /**
     * The ledger's reversal of one grant: two entries opposite to the grant's two, marked REVERSAL. The
     * ledger's key (source, fulfilment_id, account_kind, entry_kind) refuses a second reversal of the same
     * fulfilment (a DuplicateKeyException), whatever got past the fulfilment's lock. Balances may go below
     * zero; the ledger still sums to 0.
     */
    private void bookOppositeEntries(FulfilmentKey key) {
        int booked = jdbc.update("""
                INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount, entry_kind, source)
                SELECT fulfilment_id, account_kind, account, unit, -amount, 'REVERSAL', source FROM ledger_entries
                WHERE fulfilment_id = ? AND source = ? AND entry_kind = 'GRANT'""", key.id(), key.source().ledgerSource());
        // A granted credit always has its two entries; without them nothing is reversed (rolled back).
        if (booked != 2) {
            throw new IllegalStateException("the grant's two ledger entries were not found: nothing reversed");
        }
    }

    /**
     * The record's part of a reversal, in the caller's transaction: REVERSED if it was applied, with the
     * operator's reason kept, and listed for operators where Stripe or a sent payout needs a person. The
     * row stays locked until the transaction ends, in which {@link #reverse} adds the effect the result
     * names; a concurrent reversal then finds it REVERSED.
     */
    Reversal reverseRecord(FulfilmentKey key, String note) {
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
    Reversal payoutWithdrawn(Reversal reversal, int outboxRowsDeleted) {
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
