package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.FAILED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.PAID;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.QUEUED;

import java.sql.Timestamp;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * A cash fulfilment's payout as its record keeps it: the payout worker's results, in the transaction
 * that called {@link #lockForPayoutResult}. Each moves the row (through {@link FulfilmentLifecycle})
 * only from the states it is meant for.
 */
@Component
public class PayoutRecords {

    private final JdbcTemplate jdbc;
    private final FulfilmentLifecycle lifecycle;

    PayoutRecords(JdbcTemplate jdbc, FulfilmentLifecycle lifecycle) {
        this.jdbc = jdbc;
        this.lifecycle = lifecycle;
    }

    /** A cash fulfilment as a payout result finds it, with its row locked for the result's transaction. */
    public record PayoutRecord(String unit, FulfilmentState state, int attempt, String payoutReference) {
    }

    public Optional<PayoutRecord> lockForPayoutResult(FulfilmentKey key) {
        return jdbc.query("SELECT unit, state, attempt, payout_reference FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE",
                (rs, n) -> new PayoutRecord(rs.getString("unit"), FulfilmentState.valueOf(rs.getString("state")),
                        rs.getInt("attempt"), rs.getString("payout_reference")), key.source().ledgerSource(), key.id()).stream().findFirst();
    }

    /**
     * The awaited payout was paid. FirstPromoter still holds the reward pending, to be told
     * (firstpromoter-notify), unless the delivery's queued answer already was a 200 and no replay
     * queued it since (a replay leaves the notice due).
     */
    public void markPaid(FulfilmentKey key, String reference, boolean queuedAnswerWas200) {
        Timestamp now = lifecycle.now();
        lifecycle.write(paid(key, reference, now).setSql("""
                firstpromoter_notice = CASE WHEN firstpromoter_notice = 'DUE' OR ? THEN 'DUE' END,
                    firstpromoter_attempts = 0, firstpromoter_next_at = ?, firstpromoter_traceparent = ?""", !queuedAnswerWas200, now,
                lifecycle.currentTrace()));
    }

    /** Paid, but listed as a payout anomaly: FirstPromoter's notice is left as it was. */
    public void markPaidKeepingNotice(FulfilmentKey key, String reference) {
        lifecycle.write(paid(key, reference, lifecycle.now()));
    }

    private static FulfilmentLifecycle.Move paid(FulfilmentKey key, String reference, Timestamp now) {
        return FulfilmentLifecycle.move(key, PAID, now).from(QUEUED, FAILED).clear("reason").set("payout_reference", reference);
    }

    /** Keeps a payment's reference on a fulfilment whose state it does not change. */
    public void recordPayoutReference(FulfilmentKey key, String reference) {
        jdbc.update("UPDATE fulfilments SET payout_reference = ? WHERE source = ? AND fulfilment_id = ? AND state <> ?",
                reference, key.source().ledgerSource(), key.id(), PAID.name());
    }

    /** The queued payout failed: FAILED, parked for an operator's replay. */
    public void markFailed(FulfilmentKey key, String reason, String reference) {
        lifecycle.write(FulfilmentLifecycle.move(key, FAILED, lifecycle.now()).from(QUEUED)
                .set("reason", Columns.cut(reason, 1000)).set("payout_reference", reference));
    }
}
