package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.GRANTED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.PAID;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What a reward FirstPromoter still lists as open finds in the bridge's records, and the two things
 * reconciliation does to a record without applying it (docs/promises.md, Nothing lost when every delivery
 * failed): a grant never closed through the API gets its FirstPromoter notice due now (the one notice path,
 * route firstpromoter-notify); a grant the bridge closed there before, listed open again, is listed for
 * operators and never closed again.
 */
@Component
public class ReconciledRecords {

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final FulfilmentLifecycle lifecycle;

    ReconciledRecords(JdbcTemplate jdbc, DatabaseClock clock, FulfilmentLifecycle lifecycle) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.lifecycle = lifecycle;
    }

    /**
     * A record as reconciliation reads it: its state, its FirstPromoter notice (null: none, DUE, SENT,
     * GAVE_UP), whether a delivery's lease on it is live, when it last changed, when its notice was sent.
     */
    public record Found(FulfilmentState state, String notice, boolean leased, Instant updatedAt, Instant notifiedAt) {
    }

    public Optional<Found> find(FulfilmentKey key) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT state, firstpromoter_notice, updated_at, firstpromoter_notified_at,
                    lease_until IS NOT NULL AND lease_until > ? AS leased
                FROM fulfilments WHERE source = ? AND fulfilment_id = ?""",
                Timestamp.from(clock.now()), key.source().ledgerSource(), key.id());
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> row = rows.get(0);
        Timestamp updated = Columns.timestamp(row.get("updated_at"));
        Timestamp notified = Columns.timestamp(row.get("firstpromoter_notified_at"));
        return Optional.of(new Found(FulfilmentState.valueOf((String) row.get("state")), (String) row.get("firstpromoter_notice"),
                Boolean.TRUE.equals(row.get("leased")), updated == null ? null : updated.toInstant(),
                notified == null ? null : notified.toInstant()));
    }

    /**
     * A grant or paid payout FirstPromoter still holds open that the bridge never closed through its API
     * (no notice, or one given up): its notice due now, counted afresh. False when the record moved meanwhile.
     */
    public boolean noticeDueNow(FulfilmentKey key) {
        return jdbc.update("""
                UPDATE fulfilments SET firstpromoter_notice = 'DUE', firstpromoter_attempts = 0, firstpromoter_next_at = ?,
                    firstpromoter_first_tried_at = NULL, firstpromoter_traceparent = ?
                WHERE source = ? AND fulfilment_id = ? AND state IN (?, ?)
                    AND (firstpromoter_notice IS NULL OR firstpromoter_notice = 'GAVE_UP')""",
                Timestamp.from(clock.now()), lifecycle.currentTrace(), key.source().ledgerSource(), key.id(), GRANTED.name(), PAID.name()) == 1;
    }

    /** A reward the bridge closed in FirstPromoter, open there again: listed for operators (once), never closed again. */
    public boolean listReopened(FulfilmentKey key) {
        return jdbc.update("""
                UPDATE fulfilments SET reopened_at = ? WHERE source = ? AND fulfilment_id = ? AND reopened_at IS NULL
                    AND firstpromoter_notice = 'SENT'""",
                Timestamp.from(clock.now()), key.source().ledgerSource(), key.id()) == 1;
    }

    /** A reward listed as reopened in FirstPromoter after the bridge closed it. */
    public record Reopened(FulfilmentKey key, String unit, FulfilmentState state, Instant closedAt, Instant reopenedSeenAt) {
    }

    /** Rewards reopened in FirstPromoter after the bridge closed them, oldest first: for an operator to look at. */
    public List<Reopened> reopened() {
        return jdbc.query("""
                SELECT source, fulfilment_id, unit, state, firstpromoter_notified_at, reopened_at FROM fulfilments
                WHERE reopened_at IS NOT NULL ORDER BY reopened_at, source, fulfilment_id""",
                (rs, n) -> new Reopened(new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id")),
                        rs.getString("unit"), FulfilmentState.valueOf(rs.getString("state")),
                        rs.getTimestamp("firstpromoter_notified_at") == null ? null : rs.getTimestamp("firstpromoter_notified_at").toInstant(),
                        rs.getTimestamp("reopened_at").toInstant()));
    }
}
