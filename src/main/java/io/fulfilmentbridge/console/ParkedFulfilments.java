package io.fulfilmentbridge.console;

import java.time.Duration;
import java.time.Instant;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FirstPromoterNotices;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentReversals;
import io.fulfilmentbridge.fulfilment.OperatorQueries;
import io.fulfilmentbridge.fulfilment.ParkedRow;
import io.fulfilmentbridge.fulfilment.ReconciledRecords;
import io.fulfilmentbridge.fulfilment.ReconciliationRuns;
import io.fulfilmentbridge.fulfilment.Reversal;
import io.fulfilmentbridge.fulfilment.ReversalRequest;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.payout.PayoutAnomalies;
import io.fulfilmentbridge.payout.PayoutResults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.management.openmbean.TabularData;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.RuntimeCamelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jmx.export.annotation.ManagedAttribute;
import org.springframework.jmx.export.annotation.ManagedOperation;
import org.springframework.jmx.export.annotation.ManagedOperationParameter;
import org.springframework.jmx.export.annotation.ManagedResource;
import org.springframework.stereotype.Component;

/**
 * The bridge's own MBean, beside Camel's route MBeans: what waits for a person, and the replay that
 * applies it once the cause is fixed (a customer added in Stripe, a unit mapped, a payout retried),
 * and the reversal of a reward FirstPromoter withdrew after the bridge applied it.
 */
@Component
@ManagedResource(objectName = "io.fulfilmentbridge:type=Fulfilments",
        description = "Parked, failed and stuck fulfilments, their replay, and reversals")
public class ParkedFulfilments {

    private static final Logger LOG = LoggerFactory.getLogger(ParkedFulfilments.class);
    private final OperatorQueries queries;
    private final FirstPromoterNotices notices;
    private final FulfilmentReversals reversals;
    private final ProducerTemplate producer;
    private final PayoutAnomalies payoutAnomalies;
    private final DatabaseClock clock;
    private final OperatorAudit audit;
    private final PayoutResults payoutResults;
    private final ReconciliationRuns reconciliationRuns;
    private final ReconciledRecords reconciledRecords;

    /** How long reconcileNow waits for the run it asked for before it answers that it still runs. */
    static final Duration RECONCILE_WAIT = Duration.ofMinutes(2);

    /** clock: the stuck rows' ages, on the database's clock their times are written by. */
    public ParkedFulfilments(OperatorQueries queries, FirstPromoterNotices notices, FulfilmentReversals reversals, ProducerTemplate producer,
                             PayoutAnomalies payoutAnomalies, DatabaseClock clock, OperatorAudit audit, PayoutResults payoutResults,
                             ReconciliationRuns reconciliationRuns, ReconciledRecords reconciledRecords) {
        this.audit = audit;
        this.payoutResults = payoutResults;
        this.reconciliationRuns = reconciliationRuns;
        this.reconciledRecords = reconciledRecords;
        this.queries = queries;
        this.notices = notices;
        this.reversals = reversals;
        this.clock = clock;
        this.producer = producer;
        this.payoutAnomalies = payoutAnomalies;
    }

    @ManagedAttribute(description = "Parked and failed fulfilments and reversed ones to review, oldest first: source (v1 or v2), "
            + "id, unit, amount, state, since, reason; then stuck ones, oldest first: source, id, unit, amount as received, "
            + "stuck, since, age, reason; then open payout anomalies")
    public String[] getParked() {
        Stream<String> parked = queries.parked().stream()
                .map(r -> r.get("source") + " " + r.get("fulfilment_id") + " " + r.get("unit") + " " + r.get("amount") + " "
                        + r.get("state") + " since " + r.get("updated_at") + ": " + r.get("reason"));
        Instant now = clock.now();
        Stream<String> stuck = queries.parkedAndStuck().stream().filter(r -> "stuck".equals(r.state()))
                .map(r -> r.source().ledgerSource() + " " + r.fulfilmentId() + " " + r.unit() + " " + r.amount() + " stuck since " + r.since()
                        + " (" + Duration.between(r.since(), now).toMinutes() + " min): " + r.reason());
        return Stream.of(parked, stuck, payoutAnomalies.list().stream()).flatMap(s -> s).toArray(String[]::new);
    }

    @ManagedAttribute(description = "Parked, failed and stuck fulfilments and open payout anomalies, one row each: source "
            + "(v1 or v2), id, unit, amount as received, state (PARKED, FAILED, REVERSED, stuck, PAYOUT_ANOMALY), since, ageSeconds, reason")
    public TabularData getParkedTable() {
        List<ParkedRow> rows = new ArrayList<>(queries.parkedAndStuck());
        rows.addAll(payoutAnomalies.rows());
        return ParkedRow.table(rows, clock.now());
    }

    @ManagedAttribute(description = "Rewards FirstPromoter could not be told are fulfilled (its API kept failing, "
            + "or refused): mark them fulfilled in FirstPromoter by hand. One line each: source, id, attempts, since, last error")
    public String[] getUnclosedInFirstPromoter() {
        return notices.unclosedInFirstPromoter().stream()
                .map(u -> u.key().source().ledgerSource() + " " + u.key().id() + ": " + u.attempts() + " attempts"
                        + (u.firstTriedAt() == null ? "" : " since " + u.firstTriedAt()) + ", gave up; last error: "
                        + (u.lastError() == null ? "none kept" : u.lastError()))
                .toArray(String[]::new);
    }

    @ManagedAttribute(description = "The last reconciliation run with FirstPromoter's own lists, per kind (v1, v2): when it "
            + "started and ended, how long it took, its counts (applied, closed, reopened, left, cash_unknown, parked, ignored, failed), "
            + "and why it stopped, if it did")
    public String[] getLastReconciliation() {
        return reconciliationRuns.lastRuns().stream().map(ParkedFulfilments::lastRun).toArray(String[]::new);
    }

    private static String lastRun(ReconciliationRuns.LastRun r) {
        return r.source().ledgerSource() + " run " + r.runs() + (r.running() ? " (running now)" : "")
                + (r.startedAt() == null ? ": none yet" : " started " + r.startedAt()
                + (r.finishedAt() == null || r.finishedAt().isBefore(r.startedAt()) ? "" : ", ended " + r.finishedAt() + " in "
                + r.durationMillis() + " ms") + ": " + r.summary()) + "; next run due " + r.nextRunAt();
    }

    @ManagedAttribute(description = "Rewards FirstPromoter lists as open again after the bridge closed them there (it has "
            + "mark_unfulfilled): never closed again by the bridge; look at them in FirstPromoter. One line each: source, id, unit, "
            + "state, closed at, seen open again at")
    public String[] getReopenedInFirstPromoter() {
        return reconciledRecords.reopened().stream()
                .map(r -> r.key().source().ledgerSource() + " " + r.key().id() + " " + r.unit() + " " + r.state() + ": closed "
                        + r.closedAt() + ", listed open again at " + r.reopenedSeenAt())
                .toArray(String[]::new);
    }

    @ManagedOperation(description = "Runs reconciliation with FirstPromoter's own lists now (one run at a time across "
            + "instances; a 429's Retry-After still holds) and answers that run's summary once it ended")
    public String reconcileNow() {
        return audit.record("reconcileNow", "", () -> {
            try {
                return reconciledNow();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for the run; it goes on";
            }
        });
    }

    private String reconciledNow() throws InterruptedException {
        Instant asked = clock.now();
        long start = System.nanoTime();
        long end = start + RECONCILE_WAIT.toNanos();
        // A bridge's first run stores its row a second after start-up: until then there is nothing to ask.
        while (reconciliationRuns.requestNow() == 0) {
            if (System.nanoTime() - start > Duration.ofSeconds(10).toNanos()) {
                return "reconciliation is off (bridge.reconciliation.enabled, or no API key for the inbound kind): nothing run";
            }
            Thread.sleep(100);
        }
        while (System.nanoTime() < end) {
            for (ReconciliationRuns.LastRun run : reconciliationRuns.lastRuns()) {
                if (run.startedAt() != null && !run.startedAt().isBefore(asked) && !run.running() && run.finishedAt() != null
                        && !run.finishedAt().isBefore(run.startedAt())) {
                    return lastRun(run);
                }
            }
            Thread.sleep(100);
        }
        return "asked; the run has not ended within " + RECONCILE_WAIT.toSeconds() + " s: see LastReconciliation";
    }

    @ManagedAttribute(description = "Fulfilments by unit and state")
    public String[] getCounts() {
        return queries.counts().toArray(String[]::new);
    }

    @ManagedAttribute(description = "Payout results moved to the dead-letter queue, newest first (the last 200): when, "
            + "and why the bridge could not use them; the messages themselves stay on the queue")
    public String[] getDeadLetteredPayoutResults() {
        return payoutResults.deadLettered(200).toArray(String[]::new);
    }

    @ManagedAttribute(description = "The operators' audit trail, newest first (the last 200): when, console login, "
            + "operation(arguments): outcome. Kept in table operator_audit; no operation changes or deletes an entry")
    public String[] getAuditTrail() {
        return audit.trail(200).toArray(String[]::new);
    }

    @ManagedOperation(description = "Replays one parked, failed or stuck legacy (v1) fulfilment; answers as a delivery would")
    @ManagedOperationParameter(name = "fulfilmentId", description = "FirstPromoter's fulfilment id (a v1 payout id)")
    public String replay(long fulfilmentId) {
        return audit.record("replay", "v1, " + fulfilmentId,
                () -> replayed(FulfilmentKey.pending(fulfilmentId)).getMessage().getBody(String.class));
    }

    @ManagedOperation(description = "Replays one parked, failed or stuck fulfilment of this kind (v1: a legacy payout id, "
            + "v2: a commission id, as the parked list's source column says); answers as a delivery would")
    @ManagedOperationParameter(name = "kind", description = "v1 or v2")
    @ManagedOperationParameter(name = "fulfilmentId", description = "FirstPromoter's id of that kind")
    public String replay(String kind, long fulfilmentId) {
        return audit.record("replay", kind + ", " + fulfilmentId, () -> replayOfKind(kind, fulfilmentId));
    }

    private String replayOfKind(String kind, long fulfilmentId) {
        // The two kinds' ids are different numbers that can be equal: no default, a wrong kind would replay another reward.
        Source source = kindOf(kind);
        if (source == null) {
            return refusedKind(kind, "nothing replayed");
        }
        return replayed(new FulfilmentKey(source, fulfilmentId)).getMessage().getBody(String.class);
    }

    private static String refusedKind(String kind, String consequence) {
        return "refused: kind '" + kind + "' is neither v1 (a legacy payout id) nor v2 (a commission id); " + consequence;
    }

    private static Source kindOf(String kind) {
        for (Source source : Source.values()) {
            if (source.ledgerSource().equals(kind)) {
                return source;
            }
        }
        return null;
    }

    /** Runs route fulfilment-replay; the exchange holds the answer's JSON and the typed answer. */
    private Exchange replayed(FulfilmentKey key) {
        Exchange done = producer.send("direct:replay", ExchangePattern.InOut, exchange -> exchange.getIn().setBody(key));
        if (done.getException() != null) {
            // What the error handling could not answer (its own step failed): the operator sees the failure, never the body.
            throw RuntimeCamelException.wrapRuntimeCamelException(done.getException());
        }
        return done;
    }

    @ManagedOperation(description = "Reverses one applied fulfilment FirstPromoter withdrew, once: credits and points by two "
            + "opposite ledger entries, a payout still in the outbox withdrawn; a Stripe reward or a payout already sent is "
            + "listed for review. Answers what was done, or why nothing was")
    @ManagedOperationParameter(name = "kind", description = "v1 (a legacy payout id) or v2 (a commission id)")
    @ManagedOperationParameter(name = "fulfilmentId", description = "FirstPromoter's id of that kind")
    @ManagedOperationParameter(name = "reason", description = "Why it is reversed, kept with the reversal and shown in the parked list")
    public String reverse(String kind, long fulfilmentId, String reason) {
        return audit.record("reverse", kind + ", " + fulfilmentId + ", " + reason, () -> reversed(kind, fulfilmentId, reason));
    }

    private String reversed(String kind, long fulfilmentId, String reason) {
        // Legacy webhooks have no reversal event, so this is their way; a v2 commission is reversed by its denial, or here.
        Source source = kindOf(kind);
        if (source == null) {
            return refusedKind(kind, "nothing changed");
        }
        if (fulfilmentId <= 0) {
            return "refused: a fulfilment id is positive, not " + fulfilmentId + "; nothing changed";
        }
        if (reason == null || reason.isBlank()) {
            return "refused: give the reason for the reversal, it is kept with it; nothing changed";
        }
        Exchange done = producer.send("direct:reverse", ExchangePattern.InOut, exchange -> {
            exchange.getIn().setBody(new ReversalRequest(new FulfilmentKey(source, fulfilmentId), reason.strip()));
        });
        if (done.getException() != null) {
            if (causedBy(done.getException(), DuplicateKeyException.class)) {
                return "refused: fulfilment " + fulfilmentId + " was reversed before (its ledger reversal exists); nothing changed";
            }
            LOG.warn("reversal of fulfilment {} failed, rolled back", fulfilmentId, done.getException());
            return "failed, nothing changed: " + done.getException().getMessage();
        }
        Reversal reversal = done.getMessage().getBody(Reversal.class);
        if (!reversal.found().refused()) {
            LOG.info("fulfilment {} reversed by an operator ({}): {}", fulfilmentId, reason.strip(), reversal.found());
        }
        return reversal.text();
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    @ManagedOperation(description = "Dismisses a payout anomaly once it is checked: no longer listed, still kept")
    @ManagedOperationParameter(name = "fulfilmentId", description = "FirstPromoter's fulfilment id")
    @ManagedOperationParameter(name = "attempt", description = "The paid attempt the anomaly names")
    public String dismissAnomaly(long fulfilmentId, int attempt) {
        // Payouts are legacy only (docs/promises.md, Webhooks v2 events: v2 cash is not acted on), so the id is a legacy one.
        return audit.record("dismissAnomaly", fulfilmentId + ", " + attempt,
                () -> payoutAnomalies.dismiss(FulfilmentKey.pending(fulfilmentId), attempt));
    }

    @ManagedOperation(description = "Dismisses a reversed reward listed for review once it is checked: no longer listed, "
            + "still REVERSED with its reason")
    @ManagedOperationParameter(name = "kind", description = "v1 (a legacy payout id) or v2 (a commission id)")
    @ManagedOperationParameter(name = "fulfilmentId", description = "FirstPromoter's id of that kind")
    public String dismissReversal(String kind, long fulfilmentId) {
        return audit.record("dismissReversal", kind + ", " + fulfilmentId, () -> dismissedReversal(kind, fulfilmentId));
    }

    private String dismissedReversal(String kind, long fulfilmentId) {
        Source source = kindOf(kind);
        if (source == null) {
            return refusedKind(kind, "nothing changed");
        }
        return reversals.dismissReversalReview(new FulfilmentKey(source, fulfilmentId))
                ? "dismissed: fulfilment " + fulfilmentId + " is no longer listed; it stays REVERSED"
                : "refused: fulfilment " + fulfilmentId + " is no reversed reward listed for review; nothing changed";
    }

    @ManagedOperation(description = "Replays every parked, failed or stuck fulfilment with exactly this reason, of both kinds (v1 "
            + "and v2); answers how many ended in each outcome")
    @ManagedOperationParameter(name = "reason", description = "The reason as the parked list shows it")
    public String replayAllWithReason(String reason) {
        return audit.record("replayAllWithReason", String.valueOf(reason), () -> replayedAllWithReason(reason));
    }

    private String replayedAllWithReason(String reason) {
        List<FulfilmentKey> keys = queries.parkedWithReason(reason);
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        for (FulfilmentKey key : keys) {
            // The route sets the answer on every path; it is the replay's result, not a value to parse back.
            Answer answer = replayed(key).getProperty("answer", Answer.class);
            outcomes.merge(answer == null ? "error" : answer.outcome().label(), 1, Integer::sum);
        }
        return keys.size() + " replayed: " + outcomes;
    }
}
