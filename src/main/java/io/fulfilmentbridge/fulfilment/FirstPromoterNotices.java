package io.fulfilmentbridge.fulfilment;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * FirstPromoter's notice that a reward it holds pending is fulfilled (route firstpromoter-notify),
 * kept on the fulfilment's record: made due by every move to GRANTED ({@link FulfilmentLifecycle})
 * and by a paid payout ({@link PayoutRecords}); each attempt counted before its call, so a crash loses
 * no notice and a second instance does not send the same one.
 */
@Component
public class FirstPromoterNotices {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final DatabaseClock clock;

    FirstPromoterNotices(JdbcTemplate jdbc, TransactionTemplate transaction, DatabaseClock clock) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.clock = clock;
    }

    /**
     * Counts the next attempt to tell FirstPromoter before the call, so a crash loses no notice and a
     * second instance does not send the same one; false when another took it.
     */
    public boolean takeNoticeAttempt(FulfilmentKey key, int attemptsBefore, Instant nextAttemptAt) {
        return jdbc.update("""
                UPDATE fulfilments SET firstpromoter_attempts = ?, firstpromoter_next_at = ?
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                attemptsBefore + 1, Timestamp.from(nextAttemptAt), key.source().ledgerSource(), key.id(), attemptsBefore) == 1;
    }

    /**
     * Counts the next attempt to close a v2 commission in FirstPromoter (mark_fulfilled) before the
     * call, as takeNoticeAttempt does; the first attempt's time is kept, since the notice is retried
     * until retryFor has passed since then. The next attempt is due after backoff, but not past that end,
     * so the last attempt is made at it. Answers that end, or empty when another instance took the attempt.
     */
    public Optional<Instant> takeCommissionNoticeAttempt(FulfilmentKey key, int attemptsBefore, Duration backoff, Duration retryFor) {
        Instant now = clock.now();
        return transaction.execute(tx -> {
            List<Timestamp> first = jdbc.query("""
                    SELECT firstpromoter_first_tried_at FROM fulfilments
                    WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ? FOR UPDATE""",
                    (rs, n) -> rs.getTimestamp(1), key.source().ledgerSource(), key.id(), attemptsBefore);
            if (first.isEmpty()) {
                return Optional.<Instant>empty();
            }
            Instant firstTried = attemptsBefore == 0 || first.get(0) == null ? now : first.get(0).toInstant();
            Instant end = firstTried.plus(retryFor);
            Instant next = now.plus(backoff).isAfter(end) ? end : now.plus(backoff);
            int taken = jdbc.update("""
                    UPDATE fulfilments SET firstpromoter_attempts = ?, firstpromoter_next_at = ?, firstpromoter_first_tried_at = ?
                    WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                    attemptsBefore + 1, Timestamp.from(next), Timestamp.from(firstTried), key.source().ledgerSource(), key.id(),
                    attemptsBefore);
            return taken == 1 ? Optional.of(end) : Optional.<Instant>empty();
        });
    }

    public void noticeSent(FulfilmentKey key, int attempt) {
        jdbc.update("""
                UPDATE fulfilments SET firstpromoter_notice = 'SENT', firstpromoter_notified_at = ?
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                Timestamp.from(clock.now()), key.source().ledgerSource(), key.id(), attempt);
    }

    /** Keeps what FirstPromoter answered to a failed attempt, for the operators' list. */
    public void noticeFailed(FulfilmentKey key, int attempt, String error) {
        jdbc.update("""
                UPDATE fulfilments SET firstpromoter_error = ?
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                Columns.cut(error, 1000), key.source().ledgerSource(), key.id(), attempt);
    }

    public void noticeGaveUp(FulfilmentKey key, int attempt) {
        jdbc.update("""
                UPDATE fulfilments SET firstpromoter_notice = 'GAVE_UP'
                WHERE source = ? AND fulfilment_id = ? AND firstpromoter_notice = 'DUE' AND firstpromoter_attempts = ?""",
                key.source().ledgerSource(), key.id(), attempt);
    }

    /** A reward FirstPromoter was not told is fulfilled (notice given up): to close there by hand. */
    public record UnclosedNotice(FulfilmentKey key, int attempts, Instant firstTriedAt, String lastError) {
    }

    /** Rewards whose notice was given up, oldest first: FirstPromoter still holds them pending. */
    public List<UnclosedNotice> unclosedInFirstPromoter() {
        return jdbc.query("""
                SELECT source, fulfilment_id, firstpromoter_attempts, firstpromoter_first_tried_at, firstpromoter_error
                FROM fulfilments WHERE firstpromoter_notice = 'GAVE_UP' ORDER BY firstpromoter_next_at, source, fulfilment_id""",
                (rs, n) -> new UnclosedNotice(new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id")),
                        rs.getInt("firstpromoter_attempts"),
                        rs.getTimestamp("firstpromoter_first_tried_at") == null ? null : rs.getTimestamp("firstpromoter_first_tried_at").toInstant(),
                        rs.getString("firstpromoter_error")));
    }

    public long unclosedInFirstPromoterCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE firstpromoter_notice = 'GAVE_UP'", Long.class);
    }
}
