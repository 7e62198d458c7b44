package io.fulfilmentbridge.fulfilment;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Reconciliation's runs, one row per inbound kind in reconciliation_runs (docs/promises.md, Nothing lost
 * when every delivery failed): the run due is taken with a lease on the database's clock, so one runs at
 * a time whatever the instance count, and a run killed midway is taken up by the next once its lease
 * runs out; since, stored on the first run; the last run's summary for operators.
 */
@Component
public class ReconciliationRuns {

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;

    ReconciliationRuns(JdbcTemplate jdbc, DatabaseClock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A run taken: its lease, the since it applies, and when it began on the database's clock. */
    public record Lease(Source source, String token, Instant since, Instant startedAt) {
    }

    public Instant now() {
        return clock.now();
    }

    /**
     * Takes the run of this kind when one is due and no live lease holds it; the first call on a database
     * stores since (configuredSince when set, else now) and is due at once. Empty: nothing to run here now.
     */
    public Optional<Lease> take(Source source, Instant configuredSince, Duration lease) {
        Timestamp now = Timestamp.from(clock.now());
        jdbc.update("""
                INSERT INTO reconciliation_runs (source, since, next_run_at, runs) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING""",
                source.ledgerSource(), configuredSince == null ? now : Timestamp.from(configuredSince), now);
        String token = UUID.randomUUID().toString();
        int taken = jdbc.update("""
                UPDATE reconciliation_runs SET lease_holder = ?, lease_until = ?, runs = runs + 1, last_started_at = ?
                WHERE source = ? AND next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                    AND (retry_after_until IS NULL OR retry_after_until <= ?)""",
                token, Timestamp.from(now.toInstant().plus(lease)), now, source.ledgerSource(), now, now, now);
        if (taken != 1) {
            return Optional.empty();
        }
        Timestamp stored = jdbc.queryForObject("SELECT since FROM reconciliation_runs WHERE source = ?", Timestamp.class,
                source.ledgerSource());
        return Optional.of(new Lease(source, token, configuredSince != null ? configuredSince : stored.toInstant(), now.toInstant()));
    }

    /** Extends a live lease; false when it was lost (run out and taken by another instance): the run stops. */
    public boolean renew(Lease lease, Duration by) {
        return jdbc.update("UPDATE reconciliation_runs SET lease_until = ? WHERE source = ? AND lease_holder = ?",
                Timestamp.from(clock.now().plus(by)), lease.source().ledgerSource(), lease.token()) == 1;
    }

    /**
     * Ends the run: the lease released, the next run due at nextRunAt (at once when an operator asked for
     * one while it ran; never before retryAfterUntil, a 429's Retry-After, when given), the summary kept.
     */
    public void finish(Lease lease, Instant nextRunAt, Instant retryAfterUntil, String summary) {
        Instant now = clock.now();
        jdbc.update("""
                UPDATE reconciliation_runs SET lease_holder = NULL, lease_until = NULL,
                    next_run_at = CASE WHEN next_run_at > last_started_at THEN next_run_at ELSE ? END, retry_after_until = ?,
                    last_finished_at = ?, last_duration_ms = ?, last_summary = ?
                WHERE source = ? AND lease_holder = ?""",
                Timestamp.from(nextRunAt), retryAfterUntil == null ? null : Timestamp.from(retryAfterUntil), Timestamp.from(now),
                Duration.between(lease.startedAt(), now).toMillis(), Columns.cut(summary, 2000), lease.source().ledgerSource(),
                lease.token());
    }

    /** An operator's reconcileNow: every kind's next run due now (a 429's Retry-After still holds). The rows asked. */
    public int requestNow() {
        return jdbc.update("UPDATE reconciliation_runs SET next_run_at = ?", Timestamp.from(clock.now()));
    }

    /** The last run of a kind, as operators and the metrics see it. */
    public record LastRun(Source source, long runs, Instant startedAt, Instant finishedAt, Long durationMillis, String summary,
                          boolean running, Instant nextRunAt) {
    }

    public List<LastRun> lastRuns() {
        Timestamp now = Timestamp.from(clock.now());
        return jdbc.query("""
                SELECT source, runs, last_started_at, last_finished_at, last_duration_ms, last_summary, next_run_at,
                    lease_until IS NOT NULL AND lease_until > ? AS running
                FROM reconciliation_runs ORDER BY source""",
                (rs, n) -> new LastRun(Source.ofColumn(rs.getString("source")), rs.getLong("runs"),
                        rs.getTimestamp("last_started_at") == null ? null : rs.getTimestamp("last_started_at").toInstant(),
                        rs.getTimestamp("last_finished_at") == null ? null : rs.getTimestamp("last_finished_at").toInstant(),
                        rs.getObject("last_duration_ms") == null ? null : rs.getLong("last_duration_ms"), rs.getString("last_summary"),
                        rs.getBoolean("running"), rs.getTimestamp("next_run_at").toInstant()), now);
    }
}
