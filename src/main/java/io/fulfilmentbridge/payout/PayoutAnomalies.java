package io.fulfilmentbridge.payout;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.ParkedRow;
import io.fulfilmentbridge.fulfilment.Source;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Paid results that may hide a double payout (docs/promises.md, The payout queue), kept for operators: listed until
 * one dismisses them, and counted in {@code bridge_payout_anomalies_total{kind}}. FirstPromoter is
 * told nothing because of one.
 */
@Component
public class PayoutAnomalies {

    /** The metric's kind label: a fixed set, whatever the results say. */
    public enum Kind {
        /** An attempt other than the latest was paid (a replay queued a newer one, or is being applied). */
        OLDER_ATTEMPT("older_attempt"),
        /** An attempt was paid after another attempt of the same fulfilment was paid. */
        SECOND_PAYMENT("second_payment"),
        /** A payout was paid after its fulfilment was reversed (docs/promises.md, Reversals): not a completion. */
        REVERSED_PAID("paid_after_reversal");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final JdbcTemplate jdbc;
    private final Map<Kind, Counter> counters = new EnumMap<>(Kind.class);

    public PayoutAnomalies(JdbcTemplate jdbc, MeterRegistry meters) {
        this.jdbc = jdbc;
        for (Kind kind : Kind.values()) {
            counters.put(kind, Counter.builder("bridge.payout.anomalies").tag("kind", kind.label())
                    .description("Paid payout results that may hide a double payout, listed for operators")
                    .register(meters));
        }
    }

    /** Stores one; false when this paid attempt was stored before. Call in the result's transaction, count after it. */
    boolean record(FulfilmentKey key, int attempt, Kind kind, String reason, String reference) {
        return jdbc.update("""
                INSERT INTO payout_anomalies (source, fulfilment_id, attempt, kind, reason, reference, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                key.source().ledgerSource(), key.id(), attempt, kind.label(), reason, reference, Timestamp.from(Instant.now())) == 1;
    }

    void count(Kind kind) {
        counters.get(kind).increment();
    }

    /** The attempts of a fulfilment reported paid as anomalies, other than this one: attempt and reference. */
    List<Map<String, Object>> otherPaidAttempts(FulfilmentKey key, int attempt) {
        return jdbc.queryForList("""
                SELECT attempt, reference FROM payout_anomalies WHERE source = ? AND fulfilment_id = ? AND attempt <> ?
                ORDER BY created_at, attempt""", key.source().ledgerSource(), key.id(), attempt);
    }

    /**
     * Anomalies not yet dismissed, oldest first: source, fulfilment_id, unit, amount, attempt, kind, reason,
     * reference, created_at.
     */
    public List<Map<String, Object>> open() {
        return jdbc.queryForList("""
                SELECT a.source, a.fulfilment_id, f.unit, f.amount, a.attempt, a.kind, a.reason, a.reference, a.created_at
                FROM payout_anomalies a JOIN fulfilments f ON f.source = a.source AND f.fulfilment_id = a.fulfilment_id
                WHERE a.dismissed_at IS NULL ORDER BY a.created_at, a.fulfilment_id, a.attempt""");
    }

    /** The operators' list lines, in the parked list's form. */
    public List<String> list() {
        return open().stream()
                .map(r -> r.get("source") + " " + r.get("fulfilment_id") + " " + r.get("unit") + " " + r.get("amount") + " PAYOUT_ANOMALY since "
                        + r.get("created_at") + ": " + r.get("reason") + " (attempt " + r.get("attempt") + ", reference "
                        + r.get("reference") + ")")
                .toList();
    }

    /** The open anomalies as rows of the operators' table, state PAYOUT_ANOMALY, amount as received. */
    public List<ParkedRow> rows() {
        return jdbc.query("""
                SELECT a.source, a.fulfilment_id, f.unit, COALESCE(f.amount_received, CAST(f.amount AS VARCHAR(130))) AS amount,
                    a.attempt, a.reason, a.reference, a.created_at
                FROM payout_anomalies a JOIN fulfilments f ON f.source = a.source AND f.fulfilment_id = a.fulfilment_id
                WHERE a.dismissed_at IS NULL ORDER BY a.created_at, a.fulfilment_id, a.attempt""",
                (rs, n) -> new ParkedRow(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id"), rs.getString("unit"), rs.getString("amount"),
                        "PAYOUT_ANOMALY", rs.getTimestamp("created_at").toInstant(), rs.getString("reason")
                        + " (attempt " + rs.getInt("attempt") + ", reference " + rs.getString("reference") + ")"));
    }

    /** An operator has checked it: no longer listed, still kept. */
    public String dismiss(FulfilmentKey key, int attempt) {
        long fulfilmentId = key.id();
        int updated = jdbc.update("""
                UPDATE payout_anomalies SET dismissed_at = ? WHERE source = ? AND fulfilment_id = ? AND attempt = ? AND dismissed_at IS NULL""",
                Timestamp.from(Instant.now()), key.source().ledgerSource(), fulfilmentId, attempt);
        return updated == 1 ? "dismissed: the payout anomaly of fulfilment " + fulfilmentId + " attempt " + attempt
                : "no open payout anomaly for fulfilment " + fulfilmentId + " attempt " + attempt;
    }
}
