package io.fulfilmentbridge.fulfilment;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The webhooks v2 events answered with a final outcome (docs/promises.md, Webhooks v2 events), kept bridge.event-retention: a
 * re-sent event is answered at once with what it got. Only to answer it: an event whose earlier try got
 * 503 (or 500) is not kept, so it is processed afresh. The sole writer of table commission_events.
 */
@Component("commissionEventLog")
public class CommissionEventLog {

    private static final Logger LOG = LoggerFactory.getLogger(CommissionEventLog.class);

    private final JdbcTemplate jdbc;
    private final Duration retention;
    private final DatabaseClock clock;

    /** clock: answered_at is compared by whichever instance forgets old answers (docs/promises.md, One clock). */
    public CommissionEventLog(JdbcTemplate jdbc, FulfilmentSettings settings, DatabaseClock clock) {
        this.jdbc = jdbc;
        this.retention = settings.eventRetention();
        this.clock = clock;
    }

    /** What this event was answered before, or null. */
    public Answer answeredBefore(CommissionEvent event) {
        List<Answer> answers = jdbc.query("SELECT outcome, detail FROM commission_events WHERE event_id = ?",
                (rs, n) -> new Answer(Outcome.valueOf(rs.getString("outcome").toUpperCase(Locale.ROOT)),
                        "event " + event.eventId() + " was answered before: " + rs.getString("detail")),
                event.eventId());
        return answers.isEmpty() ? null : answers.get(0);
    }

    /** Keeps the event's answer when it is final. A concurrent copy of the event may have kept it first. */
    public void answered(CommissionEvent event, Answer answer) {
        if (answer == null || answer.outcome() == Outcome.RETRY || answer.outcome() == Outcome.ERROR) {
            return;
        }
        String detail = answer.detail().length() > 900 ? answer.detail().substring(0, 900) : answer.detail();
        try {
            jdbc.update("""
                    INSERT INTO commission_events (event_id, commission_id, event_type, outcome, detail, answered_at)
                    VALUES (?, ?, ?, ?, ?, ?)""", event.eventId(), event.commissionId(),
                    event.eventType().length() > 64 ? event.eventType().substring(0, 64) : event.eventType(),
                    answer.outcome().label(), detail, Timestamp.from(clock.now()));
        } catch (DuplicateKeyException keptByAnotherCopy) {
            // The first copy's answer stays.
        } catch (DataAccessException notKept) {
            // Only a shortcut: a re-sent event is then decided again from the fulfilment's record.
            LOG.warn("the answer to event {} was not kept: {}", event.eventId(), notKept.getMostSpecificCause().getClass().getSimpleName());
        }
    }

    /** Forgets events answered longer than the retention ago; the number forgotten. */
    public int forgetOld() {
        return jdbc.update("DELETE FROM commission_events WHERE answered_at < ?", Timestamp.from(clock.now().minus(retention)));
    }
}
