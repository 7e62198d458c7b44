package io.fulfilmentbridge.payout;

import io.fulfilmentbridge.fulfilment.AnswerStatuses;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentState;
import io.fulfilmentbridge.fulfilment.PayoutRecords;
import io.fulfilmentbridge.fulfilment.PayoutRecords.PayoutRecord;
import io.fulfilmentbridge.payout.PayoutAnomalies.Kind;
import io.fulfilmentbridge.payout.PayoutMessages.PayoutResult;
import io.fulfilmentbridge.payout.PayoutMessages.UnreadablePayoutResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records the payout worker's results (docs/promises.md, The payout queue:
 * messages and results), for route payout-results. Each is applied
 * in one transaction with the fulfilment's row locked, so a replay being applied at the same moment is
 * seen either before or after, never half way. While the database is unreachable a result waits here,
 * with growing pauses, for up to bridge.cash.results-outage-wait; only then is it handed back to the
 * broker, which delivers it again later.
 */
@Component("payoutResults")
public class PayoutResults {

    private static final Logger LOG = LoggerFactory.getLogger(PayoutResults.class);
    /** The logger the route's own log step used (its route id), so what watches dead letters still finds them. */
    private static final Logger DEAD_LETTERS = LoggerFactory.getLogger("payout-results");
    private static final long FIRST_PAUSE_MILLIS = 250;
    private static final long LONGEST_PAUSE_MILLIS = 5000;

    private final PayoutMessages messages;
    private final PayoutAnomalies anomalies;
    private final PayoutRecords records;
    private final TransactionTemplate transaction;
    private final boolean queuedAnswerCompletes;
    private final Duration outageWait;
    private final String deadLetterQueue;
    private final ApplicationContext context;
    private final MeterRegistry meters;
    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final Map<String, Counter> results = new ConcurrentHashMap<>();
    private volatile boolean closing;

    public PayoutResults(ApplicationContext context, PayoutMessages messages, PayoutAnomalies anomalies, PayoutRecords records,
                         TransactionTemplate transaction, AnswerStatuses statuses, CashSettings settings, MeterRegistry meters,
                         JdbcTemplate jdbc, DatabaseClock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.context = context;
        this.meters = meters;
        this.messages = messages;
        this.anomalies = anomalies;
        this.records = records;
        this.transaction = transaction;
        this.queuedAnswerCompletes = statuses.queuedCompletes();
        this.outageWait = settings.resultsOutageWait();
        this.deadLetterQueue = settings.deadLetterQueue();
    }

    /**
     * What became of one result; deadLetter is set when it belongs on the dead-letter queue. result:
     * bridge_payout_results_total's tag (paid, failed, unchanged, anomaly, dead_lettered).
     */
    private record Recorded(String deadLetter, Kind anomaly, String reason, String result) {
        static final Recorded UNCHANGED = new Recorded(null, null, null, "unchanged");
        static final Recorded PAID = new Recorded(null, null, null, "paid");
        static final Recorded FAILED = new Recorded(null, null, null, "failed");

        static Recorded deadLetter(String reason) {
            return new Recorded(reason, null, null, DEAD_LETTERED);
        }
    }

    private static final String DEAD_LETTERED = "dead_lettered";

    /**
     * Records one result as the payout worker sent it, messageId its JMS message id (null if it has none).
     * True: it goes, as it came, to the dead-letter queue (logged with the reason); false: recorded.
     */
    public boolean record(String message, String messageId) {
        Recorded recorded = recorded(message);
        if (recorded.deadLetter() != null && !listDeadLetter(recorded.deadLetter(), messageId)) {
            // Delivered again: the transaction that took it did not commit, so its move to the dead-letter
            // queue did not happen, but it is listed and counted already (docs/operations.md, Dead-lettered payout results).
            DEAD_LETTERS.info("{}: delivered again (message {}), listed and counted once already; moved to {}",
                    recorded.deadLetter(), messageId, deadLetterQueue);
            return true;
        }
        results.computeIfAbsent(recorded.result(), result -> Counter.builder("bridge.payout.results").tag("result", result)
                .description("The payout worker's results, by what became of them").register(meters)).increment();
        if (recorded.deadLetter() != null) {
            DEAD_LETTERS.warn("{}: moved to {}", recorded.deadLetter(), deadLetterQueue);
        }
        return recorded.deadLetter() != null;
    }

    /**
     * Lists a dead letter for the console, keyed by its message id; false if that message is listed already.
     * When the database cannot take it, it counts as new and the log line stays its only record.
     */
    private boolean listDeadLetter(String reason, String messageId) {
        try {
            return jdbc.update("""
                    INSERT INTO payout_dead_letters (message_id, received_at, reason) VALUES (?, ?, ?)
                    ON CONFLICT DO NOTHING""", messageId, Timestamp.from(clock.now()),
                    reason.length() <= 1000 ? reason : reason.substring(0, 999) + "…") == 1;
        } catch (DataAccessException notTaken) {
            LOG.warn("dead-lettered payout result not listed for the console ({})", notTaken.getClass().getSimpleName());
            return true;
        }
    }

    /** The newest dead-lettered results first: when, and why. */
    public List<String> deadLettered(int limit) {
        return jdbc.query("SELECT received_at, reason FROM payout_dead_letters ORDER BY received_at DESC, entry_id DESC FETCH FIRST ? ROWS ONLY",
                (rs, row) -> rs.getTimestamp("received_at").toInstant() + ": " + rs.getString("reason"), limit);
    }

    private Recorded recorded(String message) {
        PayoutResult result;
        try {
            result = messages.result(message);
        } catch (UnreadablePayoutResult e) {
            return Recorded.deadLetter("unreadable payout result: " + e.getMessage());
        }
        Recorded recorded = throughOutage(result, () -> transaction.execute(tx -> apply(result)));
        if (recorded.anomaly() != null) {
            anomalies.count(recorded.anomaly());
            LOG.warn("payout anomaly, fulfilment {}: {} (reference {}); listed for operators", result.fulfilmentId(),
                    recorded.reason(), result.reference());
        }
        return recorded;
    }

    private Recorded apply(PayoutResult result) {
        long id = result.fulfilmentId();
        int attempt = result.attempt();
        Optional<PayoutRecord> found = records.lockForPayoutResult(result.key());
        if (found.isEmpty()) {
            return Recorded.deadLetter("payout result for fulfilment " + id + ", which the bridge does not know");
        }
        PayoutRecord row = found.get();
        FulfilmentState state = row.state();
        int latest = row.attempt();
        if (!"cash".equals(row.unit()) || latest == 0) {
            return Recorded.deadLetter("payout result for fulfilment " + id + ", which is no queued cash fulfilment");
        }
        if (attempt > latest) {
            return Recorded.deadLetter("payout result for attempt " + attempt + " of fulfilment " + id
                    + ", which the bridge never queued (its latest attempt is " + latest + ")");
        }
        return result.status().equals("paid") ? paid(result, state, latest, row.payoutReference())
                : failed(result, state, latest);
    }

    private Recorded paid(PayoutResult result, FulfilmentState state, int latest, String latestReference) {
        long id = result.fulfilmentId();
        FulfilmentKey key = result.key();
        int attempt = result.attempt();
        boolean awaitingResult = state == FulfilmentState.QUEUED || state == FulfilmentState.FAILED;
        List<Map<String, Object>> otherPaid = anomalies.otherPaidAttempts(key, attempt);
        String reason;
        Kind kind;
        if (state == FulfilmentState.REVERSED) {
            // Reversed after it was queued: the money went out anyway. It stays REVERSED; FirstPromoter is not told.
            kind = Kind.REVERSED_PAID;
            reason = "attempt " + attempt + " was paid after the fulfilment was reversed: recover the payout or undo the reversal";
        } else if (attempt == latest && state == FulfilmentState.PAID) {
            LOG.info("payout of fulfilment {} attempt {} paid again (reference {}): nothing changed", id, attempt, result.reference());
            return Recorded.UNCHANGED;
        } else if (!otherPaid.isEmpty() || state == FulfilmentState.PAID) {
            Map<String, Object> first = otherPaid.isEmpty() ? Map.<String, Object>of("attempt", latest, "reference", String.valueOf(latestReference))
                    : otherPaid.get(0);
            kind = Kind.SECOND_PAYMENT;
            reason = "attempt " + attempt + " was paid after attempt " + first.get("attempt") + " was paid (reference "
                    + first.get("reference") + "): a double payout";
        } else if (attempt < latest) {
            kind = Kind.OLDER_ATTEMPT;
            reason = "attempt " + attempt + " was paid after attempt " + latest + " was queued: check for a double payout";
        } else if (awaitingResult) {
            // FirstPromoter still holds the reward pending, to be told (firstpromoter-notify), unless the
            // delivery's queued answer was a 200 (bridge.cash.queued-status) and no replay queued it since.
            records.markPaid(key, result.reference(), queuedAnswerCompletes);
            LOG.info("payout of fulfilment {} attempt {} paid", id, attempt);
            return Recorded.PAID;
        } else {
            // Being applied again (an operator's replay after it was reported failed), or parked since.
            kind = Kind.OLDER_ATTEMPT;
            reason = "attempt " + attempt + " was paid while " + (state == FulfilmentState.RECEIVED ? "a replay was being applied"
                    : "the fulfilment was " + state) + ": check for a double payout";
        }
        if (!anomalies.record(key, attempt, kind, reason, result.reference())) {
            LOG.info("payout of fulfilment {} attempt {} paid again (reference {}): already listed, nothing changed",
                    id, attempt, result.reference());
            return Recorded.UNCHANGED;
        }
        // The fulfilment keeps the payment's reference; its state changes only when this is its latest
        // attempt and still awaited. FirstPromoter's notice is left as it was.
        if (attempt == latest && awaitingResult) {
            records.markPaidKeepingNotice(key, result.reference());
        } else if (state != FulfilmentState.PAID) {
            records.recordPayoutReference(key, result.reference());
        }
        return new Recorded(null, kind, reason, "anomaly");
    }

    private Recorded failed(PayoutResult result, FulfilmentState state, int latest) {
        long id = result.fulfilmentId();
        int attempt = result.attempt();
        if (attempt < latest) {
            LOG.info("payout of fulfilment {} attempt {} failed (reference {}) after attempt {} was queued: nothing changed",
                    id, attempt, result.reference(), latest);
        } else if (state == FulfilmentState.QUEUED) {
            records.markFailed(result.key(), result.getFailureReason(), result.reference());
            LOG.info("payout of fulfilment {} attempt {} failed", id, attempt);
            return Recorded.FAILED;
        } else {
            LOG.info("payout of fulfilment {} attempt {} failed (reference {}) while it is {}: nothing changed",
                    id, attempt, result.reference(), state);
        }
        return Recorded.UNCHANGED;
    }

    /** Runs the work again, with growing pauses, while the database fails, for up to the outage wait. */
    private Recorded throughOutage(PayoutResult result, Supplier<Recorded> work) {
        long giveUpAt = System.nanoTime() + outageWait.toNanos();
        long pause = FIRST_PAUSE_MILLIS;
        boolean waited = false;
        while (true) {
            try {
                Recorded recorded = work.get();
                if (waited) {
                    LOG.info("payout result for fulfilment {}: the database is back, result recorded", result.fulfilmentId());
                }
                return recorded;
            } catch (DataAccessException | TransactionException e) {
                if (closing || System.nanoTime() + pause * 1_000_000 > giveUpAt) {
                    throw e;
                }
                if (!waited) {
                    LOG.warn("payout result for fulfilment {} waits for the database ({}), for up to {}", result.fulfilmentId(),
                            e.getClass().getSimpleName(), outageWait);
                    waited = true;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(pause * 2, LONGEST_PAUSE_MILLIS);
            }
        }
    }

    /** On shutdown a waiting result goes back to the broker at once, instead of holding the shutdown up. */
    @EventListener
    void closing(ContextClosedEvent event) {
        if (event.getApplicationContext() == context) {
            closing = true;
        }
    }
}
