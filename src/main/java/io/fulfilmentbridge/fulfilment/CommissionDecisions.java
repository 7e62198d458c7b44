package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.DENIED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.GRANTED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.RECEIVED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.REVERSED;

import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What a webhooks v2 commission's approval or denial finds in its record, ordered by the newest decision
 * taken for the commission whatever its state (docs/promises.md, Webhooks v2 events); the moves it makes
 * go through {@link FulfilmentLifecycle}.
 */
@Component
public class CommissionDecisions {

    /** Why a reversed fulfilment delivered again is listed. */
    static final String REDELIVERED_AFTER_REVERSAL = "delivered again after it was reversed: not applied, review it with FirstPromoter";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final FulfilmentLifecycle lifecycle;
    private final List<GrantSends> sends;

    /** sends: each billing system's record of its sends, read when a denial finds its approval stuck. */
    CommissionDecisions(JdbcTemplate jdbc, TransactionTemplate transaction, FulfilmentLifecycle lifecycle, List<GrantSends> sends) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.lifecycle = lifecycle;
        this.sends = List.copyOf(sends);
    }

    /**
     * An approval of a commission whose outcome is already decided, answered without asking FirstPromoter's
     * API: older than the newest decision; granted before; denied by a newer event; reversed (listed, not
     * applied again). Null: go on.
     */
    public Answer settledBefore(CommissionEvent approval) {
        FulfilmentKey key = approval.key();
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT state, reason, event_at FROM fulfilments WHERE source = ? AND fulfilment_id = ?",
                key.source().ledgerSource(), key.id());
        if (rows.isEmpty()) {
            return null;
        }
        Map<String, Object> row = rows.get(0);
        Timestamp approvedAt = approval.occurredAt() == null ? null : Timestamp.from(approval.occurredAt());
        return approvalFinds(key, FulfilmentState.valueOf((String) row.get("state")), (String) row.get("reason"),
                Columns.timestamp(row.get("event_at")), approvedAt, lifecycle.now());
    }

    /**
     * What a webhooks v2 approval (approvedAt; null for a legacy delivery, or an approval without a
     * timestamp) finds in a record already there, by the time of the newest decision taken for the
     * commission whatever its state: older than it, nothing changes; granted, granted before, a newer
     * approval's time kept as the newest; denied, applied only when newer than the denial; reversed,
     * listed. Null: evaluate it.
     */
    Answer approvalFinds(FulfilmentKey key, FulfilmentState state, String reason, Timestamp newest, Timestamp approvedAt, Timestamp now) {
        if (state == DENIED) {
            return deniedAfter(key, approvedAt, newest);
        }
        if (approvedAt != null && newest != null && approvedAt.before(newest)) {
            return olderThanNewest(key, "approval", approvedAt, newest);
        }
        return switch (state) {
            case GRANTED -> {
                if (approvedAt != null) {
                    jdbc.update("UPDATE fulfilments SET event_at = ? WHERE source = ? AND fulfilment_id = ? AND state = ? "
                            + "AND (event_at IS NULL OR event_at < ?)", approvedAt, key.source().ledgerSource(), key.id(), GRANTED.name(), approvedAt);
                }
                yield Answer.granted("granted before: nothing applied again");
            }
            case REVERSED -> redeliveredAfterReversal(key, reason, now);
            default -> null;
        };
    }

    /**
     * A delivery of a reversed fulfilment: FirstPromoter holds the reward pending again (a re-approval).
     * Never applied again; listed for operators, and answered 202 so FirstPromoter keeps it pending
     * rather than marking fulfilled a reward the bridge took back.
     */
    private Answer redeliveredAfterReversal(FulfilmentKey key, String listedReason, Timestamp now) {
        if (listedReason == null || !listedReason.contains(REDELIVERED_AFTER_REVERSAL)) {
            String reason = listedReason == null ? REDELIVERED_AFTER_REVERSAL : REDELIVERED_AFTER_REVERSAL + "; " + listedReason;
            jdbc.update("UPDATE fulfilments SET reason = ?, updated_at = ? WHERE source = ? AND fulfilment_id = ? AND state = ?",
                    Columns.cut(reason, 1000), now, key.source().ledgerSource(), key.id(), REVERSED.name());
        }
        return Answer.parked("fulfilment " + key.id() + " was reversed: " + REDELIVERED_AFTER_REVERSAL);
    }

    /** An event older than the newest decision taken for its commission: 202, nothing changed. */
    private static Answer olderThanNewest(FulfilmentKey key, String what, Timestamp at, Timestamp newest) {
        return Answer.ignored("this " + what + " (" + at.toInstant() + ") is older than the newest decision on commission " + key.id()
                + " (" + newest.toInstant() + "), which stands: nothing changed");
    }

    /**
     * An approval of a commission FirstPromoter denied: applied only when it is newer than the denial.
     * Null when it is; else the answer. An approval or a denial without a timestamp cannot be ordered:
     * the denial stands.
     */
    private static Answer deniedAfter(FulfilmentKey key, Timestamp approvedAt, Timestamp deniedAt) {
        if (approvedAt != null && deniedAt != null && approvedAt.after(deniedAt)) {
            return null;
        }
        return Answer.ignored("commission " + key.id() + " was denied by FirstPromoter" + (deniedAt == null ? "" : " at " + deniedAt.toInstant())
                + ", after this approval" + (approvedAt == null ? " (which has no timestamp)" : " (" + approvedAt.toInstant() + ")")
                + ": nothing applied");
    }

    /**
     * An approval that could not be applied because FirstPromoter's API did not answer: kept as a claim
     * whose lease has run out, so it is listed as stuck after bridge.stuck-after unless FirstPromoter
     * sends it again, and an operator can replay it (docs/promises.md, Webhooks v2 events: the bridge
     * does not rely on a retry). A row already there is left as it is.
     */
    public void keepUnapplied(CommissionEvent approval) {
        lifecycle.insertUnapplied(approval, lifecycle.now());
    }

    /**
     * Takes in FirstPromoter's denial of a commission, ordered by the newest decision taken for it
     * whatever its state: older than it, nothing changes. Not applied (parked, denied, or stuck before
     * any billing send): recorded as DENIED, so an approval older than the denial grants nothing.
     * Applied: to be reversed by the caller (route fulfilment-reversal). Stuck after a billing send: the
     * grant may have happened, so reversed here and listed, once the send can no longer land. Being
     * applied now, or a send that may still land: {@link RetryLater}, since FirstPromoter sends the
     * denial again.
     */
    public Denial takeDenial(CommissionEvent denial) {
        FulfilmentKey key = denial.key();
        Timestamp deniedAt = denial.occurredAt() == null ? null : Timestamp.from(denial.occurredAt());
        Timestamp now = lifecycle.now();
        try {
            return transaction.execute(tx -> {
                Map<String, Object> row = lockForDenial(key, now);
                if (row == null) {
                    lifecycle.insertDenied(denial, deniedAt, now);
                    return Denial.answered(key, denialRecorded(key));
                }
                FulfilmentState state = FulfilmentState.valueOf((String) row.get("state"));
                Timestamp newest = Columns.timestamp(row.get("event_at"));
                if (state != REVERSED && deniedAt != null && newest != null && deniedAt.before(newest)) {
                    return Denial.answered(key, olderThanNewest(key, "denial", deniedAt, newest));
                }
                return switch (state) {
                    case DENIED -> Denial.answered(key, deny(key, state, deniedAt, now));
                    case PARKED -> Denial.answered(key, FulfilmentLifecycle.mayHaveLanded(row.get("reason"))
                            ? reverseParked(key, row, deniedAt, now, denial.eventType() + " by FirstPromoter (event " + denial.eventId() + ")")
                            : deny(key, state, deniedAt, now));
                    case GRANTED -> {
                        // The denial is now the newest decision: an approval older than it changes nothing.
                        if (deniedAt != null) {
                            jdbc.update("UPDATE fulfilments SET event_at = ? WHERE source = ? AND fulfilment_id = ?",
                                    deniedAt, key.source().ledgerSource(), key.id());
                        }
                        yield Denial.reverseIt(key);
                    }
                    case REVERSED -> Denial.answered(key, Answer.reversed("commission " + key.id() + " was reversed before: nothing changed"));
                    case RECEIVED -> Denial.answered(key, denyStuck(key, row, deniedAt, now,
                            denial.eventType() + " by FirstPromoter (event " + denial.eventId() + ")"));
                    default -> Denial.answered(key, Answer.ignored("commission " + key.id() + " is " + state + ": nothing changed"));
                };
            });
        } catch (DuplicateKeyException approvalArrivedFirst) {
            throw new RetryLater("commission " + key.id() + " is being applied; its denial is taken in when it is done");
        }
    }

    /**
     * An approval FirstPromoter's API answered with the commission denied (reason: what it said): a
     * record that waits for nothing but that approval (parked, or stuck after a 503) is taken as denied
     * like a denial without a timestamp, so it leaves the operators' list. The answer: ignored.
     */
    public Answer deniedByFirstPromoter(CommissionEvent approval, String reason) {
        FulfilmentKey key = approval.key();
        Timestamp now = lifecycle.now();
        Answer taken = transaction.execute(tx -> {
            Map<String, Object> row = lockForDenial(key, now);
            if (row == null) {
                return null;
            }
            return switch (FulfilmentState.valueOf((String) row.get("state"))) {
                case PARKED -> FulfilmentLifecycle.mayHaveLanded(row.get("reason"))
                        ? reverseParked(key, row, null, now, "denied in FirstPromoter's API (event " + approval.eventId() + ")")
                        : deny(key, FulfilmentState.PARKED, null, now);
                case RECEIVED -> denyStuck(key, row, null, now, "denied in FirstPromoter's API (event " + approval.eventId() + ")");
                default -> null;
            };
        });
        return taken == null ? Answer.ignored(reason) : Answer.ignored(reason + "; " + taken.detail());
    }

    private Map<String, Object> lockForDenial(FulfilmentKey key, Timestamp now) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT state, reason, event_at, unit, lease_until IS NOT NULL AND lease_until > ? AS leased
                FROM fulfilments WHERE source = ? AND fulfilment_id = ? FOR UPDATE""", now, key.source().ledgerSource(), key.id());
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** A denial of a grant parked because a lost request may have granted it: reversed and listed, never merely DENIED. */
    private Answer reverseParked(FulfilmentKey key, Map<String, Object> row, Timestamp deniedAt, Timestamp now, String note) {
        String listed = Columns.cut("reversed by FirstPromoter after its grant was parked: " + row.get("reason")
                + "; review the customer", 1000);
        lifecycle.write(FulfilmentLifecycle.move(key, REVERSED, now).from(FulfilmentState.PARKED)
                .set("reason", listed).set("reversal_note", Columns.cut(note, 1000)).set("reversed_at", now)
                .setSql("event_at = CASE WHEN event_at IS NULL OR event_at < ? THEN ? ELSE event_at END", deniedAt, deniedAt));
        String unit = (String) row.get("unit");
        return Answer.reversed("reversed: fulfilment " + key.id() + (unit == null ? "" : " (" + unit + ")")
                + ", the billing system not changed; listed for operators: " + listed);
    }

    private static Answer denialRecorded(FulfilmentKey key) {
        return Answer.reversed("denial recorded: commission " + key.id()
                + " was not applied, and no approval older than this denial will apply it");
    }

    /** Not applied (the record locked, in state): DENIED, no longer listed nor held, its newest decision's time kept. */
    private Answer deny(FulfilmentKey key, FulfilmentState state, Timestamp deniedAt, Timestamp now) {
        lifecycle.write(FulfilmentLifecycle.move(key, DENIED, now).from(state).clear("reason", "lease_holder", "lease_until")
                .setSql("event_at = CASE WHEN event_at IS NULL OR event_at < ? THEN ? ELSE event_at END", deniedAt, deniedAt));
        return denialRecorded(key);
    }

    /**
     * A denial of a RECEIVED record (locked): being applied, 503. Stuck (its lease ran out): no billing
     * send recorded for it, simply denied; a send that may still land, 503 until it cannot; a send that
     * took effect or may have, the grant happened: reversed and listed for operators (docs/promises.md,
     * Reversals), the billing system not changed.
     */
    private Answer denyStuck(FulfilmentKey key, Map<String, Object> row, Timestamp deniedAt, Timestamp now, String note) {
        if (Boolean.TRUE.equals(row.get("leased"))) {
            throw new RetryLater("commission " + key.id() + " is being applied; its denial is taken in when it is done");
        }
        Optional<GrantSends.Send> sent = sends.stream().map(s -> s.find(key)).flatMap(Optional::stream).findFirst();
        if (sent.isEmpty()) {
            return deny(key, RECEIVED, deniedAt, now);
        }
        GrantSends.Send send = sent.get();
        if (send.mayStillLand(now.toInstant())) {
            throw new RetryLater("commission " + key.id() + "'s grant was sent to " + send.system() + " and its answer lost; it may "
                    + "still land until " + send.mayLandUntil() + ": its denial is taken in then");
        }
        String listed = Reversal.sentReview(send.system(), send.applied());
        lifecycle.write(FulfilmentLifecycle.move(key, REVERSED, now).from(RECEIVED)
                .set("reason", listed).set("reversal_note", Columns.cut(note, 1000)).set("reversed_at", now)
                .clear("lease_holder", "lease_until")
                .setSql("event_at = CASE WHEN event_at IS NULL OR event_at < ? THEN ? ELSE event_at END", deniedAt, deniedAt));
        String unit = (String) row.get("unit");
        return Answer.reversed("reversed: fulfilment " + key.id() + (unit == null ? "" : " (" + unit + ")") + ", " + send.system()
                + " not changed; listed for operators: " + listed);
    }
}
