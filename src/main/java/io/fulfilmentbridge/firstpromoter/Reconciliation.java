package io.fulfilmentbridge.firstpromoter;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentState;
import io.fulfilmentbridge.fulfilment.ReconciledRecords;
import io.fulfilmentbridge.fulfilment.ReconciliationRuns;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.fulfilment.Unit;
import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * Reconciliation with FirstPromoter's own lists (docs/promises.md, Nothing lost when every delivery
 * failed), the steps of route reconciliation: a run takes the database's lease, reads every page of the
 * inbound kind's list of open rewards first, then acts on each reward created after since and before the
 * grace, oldest first. Unknown to the bridge: applied through route fulfilment as a delivery of it would
 * be, and closed by the notice its grant makes due (route firstpromoter-notify); cash is never queued from
 * a list. Granted or paid and never closed through the API: its notice due now. Closed before and open
 * again: listed for operators, never closed again. Being applied, parked, failed, queued or ignored:
 * left. FirstPromoter or the database failing ends the run; the next takes it up.
 */
@Component("reconciliation")
public class Reconciliation {

    /** A run's lease on the database's clock, renewed as it goes: a run killed midway is taken up once it runs out. */
    static final Duration LEASE = Duration.ofMinutes(3);
    /**
     * The pages are acted on within this of the last one's reading, else the run ends and the next, due at
     * once, reads them again (closed rewards leave the list; what was read longer ago may be stale).
     */
    static final Duration PAGE_FRESH = Duration.ofMinutes(1);
    /** mark_fulfilled's ids a call (route firstpromoter-notify batches v2 closes so): how many v2 closes one request makes. */
    static final int CLOSES_PER_V2_CALL = FirstPromoterNotifier.MARK_FULFILLED_BATCH;
    /** The first run's rewards (two v2 pages, ten v1 pages of 20), within the budget's: its own pace is not known yet. */
    static final int FIRST_PACE = 200;

    private static final Logger LOG = LoggerFactory.getLogger(Reconciliation.class);

    private final boolean enabled;
    private final FulfilmentClaims claims;
    private final Source source;
    private final ReconciliationSettings settings;
    private final FirstPromoterLists lists;
    private final ReconciliationRuns runs;
    private final ReconciledRecords records;
    private final Map<ReconciliationRun.Outcome, Counter> counters = new EnumMap<>(ReconciliationRun.Outcome.class);
    private final FirstPromoterBudget budget;
    /** The most rewards a run can act on while its pages are fresh: each needs a close from the background's half of the budget. */
    private final int mostPerRun;
    /**
     * How many rewards the next run reads pages for (docs/promises.md, Within FirstPromoter's limit):
     * {@link #FIRST_PACE} at most at first, then what a run managed to act on within {@link #PAGE_FRESH}, up
     * to what the budget allows, so no page is read that goes stale unread. This instance's own measure; another instance keeps its own.
     */
    private volatile int pace;

    Reconciliation(FirstPromoterSettings firstPromoter, ReconciliationSettings settings, ReconciliationRuns runs,
                   ReconciledRecords records, FulfilmentClaims claims, MeterRegistry meters, Spans spans, FirstPromoterBudget budget) {
        this.claims = claims;
        this.budget = budget;
        boolean v2 = FirstPromoterSettings.V2.equals(firstPromoter.inbound());
        this.source = v2 ? Source.COMMISSION : Source.FULFILMENT_PENDING;
        // Checked at start-up: on without the inbound kind's key stops the bridge.
        this.enabled = settings.runsWith(StringUtils.hasText(v2 ? firstPromoter.apiKey() : firstPromoter.v1ApiKey()),
                v2 ? "bridge.firstpromoter.api-key" : "bridge.firstpromoter.v1-api-key");
        this.settings = settings;
        long perMinute = (long) (firstPromoter.requestsPerMinute() / 2) * (v2 ? CLOSES_PER_V2_CALL : 1);
        this.mostPerRun = (int) Math.min(perMinute, (long) FirstPromoterLists.MAX_PAGES * FirstPromoterLists.PER_PAGE);
        this.pace = Math.min(mostPerRun, FIRST_PACE);
        this.lists = new FirstPromoterLists(firstPromoter, settings, spans, budget);
        this.runs = runs;
        this.records = records;
        for (ReconciliationRun.Outcome outcome : ReconciliationRun.Outcome.values()) {
            counters.put(outcome, Counter.builder("bridge.reconciliation.rewards")
                    .description("Rewards FirstPromoter listed as open, by what reconciliation did with them")
                    .tag("source", source.ledgerSource()).tag("outcome", outcome.label()).register(meters));
        }
        lastRunGauge(meters, "bridge.reconciliation.last.run.finished", "When the last reconciliation run ended (epoch seconds)",
                r -> r.finishedAt() == null ? Double.NaN : r.finishedAt().toEpochMilli() / 1000.0);
        lastRunGauge(meters, "bridge.reconciliation.last.run.duration", "How long the last reconciliation run took",
                r -> r.durationMillis() == null ? Double.NaN : r.durationMillis() / 1000.0);
        if (enabled) {
            LOG.info("reconciliation with FirstPromoter's {} is on: every {}, rewards older than {}{}", v2
                    ? "approved commissions" : "pending payouts", settings.interval(), settings.grace(),
                    settings.since() == null ? "" : ", created since " + settings.since());
        }
    }

    private void lastRunGauge(MeterRegistry meters, String name, String description, ToDoubleFunction<ReconciliationRuns.LastRun> value) {
        Gauge.builder(name, () -> {
            try {
                return runs.lastRuns().stream().filter(r -> r.source() == source).findFirst().map(value::applyAsDouble).orElse(Double.NaN);
            } catch (RuntimeException databaseDown) {
                return Double.NaN;
            }
        }).description(description).baseUnit("seconds").tag("source", source.ledgerSource()).register(meters);
    }

    /** Route reconciliation exists only when this is true. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * The run due now, its pages all read; null when none is due here (another instance runs it, or it
     * is not time), or when the read ended it (FirstPromoter busy or down: the run is over, the next takes it up).
     */
    public ReconciliationRun start() {
        Optional<ReconciliationRuns.Lease> taken = runs.take(source, settings.since(), LEASE);
        if (taken.isEmpty()) {
            return null;
        }
        ReconciliationRuns.Lease lease = taken.get();
        Instant readAt = runs.now();
        Instant newest = readAt.minus(settings.grace());
        if (!lease.since().isBefore(newest)) {
            finish(lease, "nothing to ask yet: since " + lease.since() + " is less than the grace (" + settings.grace() + ") ago",
                    false, null);
            return null;
        }
        FirstPromoterLists.Read read;
        // The lease renewed page by page: a long read is no run another instance may take over.
        Runnable renew = () -> runs.renew(lease, LEASE);
        // Only what the run will apply or close counts: rewards it leaves open (unknown cash, parked) at the front
        // of the list would otherwise fill every run's pages and keep the newer ones from ever being read.
        FirstPromoterLists.Wanted wanted = new FirstPromoterLists.Wanted(reward -> reward.createdAt() != null
                && !reward.createdAt().isBefore(lease.since()) && !reward.createdAt().isAfter(newest) && listed(reward)
                && willActOn(reward), pace);
        try {
            read = source == Source.COMMISSION ? lists.openCommissions(lease.since(), wanted, renew)
                    : lists.pendingPayouts(wanted, renew);
        } catch (FirstPromoterLists.Unavailable unavailable) {
            Instant retryAfter = unavailable.retryAfter() == null ? null : runs.now().plus(unavailable.retryAfter());
            finish(lease, source.ledgerSource() + ": stopped while reading: " + unavailable.getMessage(), false, retryAfter);
            return null;
        }
        List<ListedReward> toAct = new ArrayList<>();
        int beforeSince = 0;
        int young = 0;
        for (ListedReward reward : read.rewards()) {
            if (reward.createdAt() == null || reward.createdAt().isBefore(lease.since())) {
                beforeSince++;
            } else if (reward.createdAt().isAfter(newest)) {
                young++;
            } else if (listed(reward)) {
                toAct.add(reward);
            }
        }
        toAct.sort(Comparator.comparing(ListedReward::createdAt).thenComparing(r -> r.key().id()));
        return new ReconciliationRun(lease, readAt, runs.now(), toAct, read.pages(), beforeSince, young, read.whole());
    }

    /** Whether {@link #act} would apply the reward or make its close due, as its record is now (nothing changed). */
    private boolean willActOn(ListedReward reward) {
        if (reward.commission() && !Unit.of(reward.unit()).ledger() && !Unit.of(reward.unit()).discount()
                && Unit.of(reward.unit()) != Unit.FREE_MONTHS) {
            return false;
        }
        Optional<ReconciledRecords.Found> found = records.find(reward.key());
        if (found.isEmpty()) {
            return !reward.cash();
        }
        ReconciledRecords.Found record = found.get();
        return switch (record.state()) {
            case RECEIVED -> !reward.cash() && !record.leased();
            case DENIED, REVERSED -> !reward.cash();
            case GRANTED, PAID -> record.notice() == null || "GAVE_UP".equals(record.notice());
            default -> false;
        };
    }

    /** Checked here whatever the server filtered on: its status, its campaign. */
    private boolean listed(ListedReward reward) {
        String status = AnswerFields.text(reward.item().path("status"));
        if (!(reward.commission() ? "approved" : "pending").equals(status)) {
            return false;
        }
        if (settings.campaignIds().isEmpty()) {
            return true;
        }
        Long campaign = AnswerFields.id(reward.commission() ? reward.item().path("promoter_campaign").path("campaign_id")
                : reward.item().path("campaign").path("id"));
        return campaign != null && settings.campaignIds().contains(campaign);
    }

    /**
     * What is done with one listed reward: true to apply it through route fulfilment (unknown, stuck past
     * its lease, denied or reversed before: the claim orders and lists it as a delivery's would); false when
     * acted on here or left. False for every reward once the run stopped.
     */
    public boolean act(ReconciliationRun run, ListedReward reward) {
        if (run.stopped()) {
            return false;
        }
        Instant now = runs.now();
        if (now.isAfter(run.readEndedAt().plus(PAGE_FRESH))) {
            run.stale("its pages were read over " + PAGE_FRESH.toSeconds() + " s ago: the next run reads them again");
            return false;
        }
        if (now.isAfter(run.renewedAt().plus(LEASE.dividedBy(3)))) {
            if (!runs.renew(run.lease(), LEASE)) {
                run.stop("its lease ran out and another instance took the run", false, null);
                return false;
            }
            run.renewed(now);
        }
        if (reward.commission() && !Unit.of(reward.unit()).ledger() && !Unit.of(reward.unit()).discount()
                && Unit.of(reward.unit()) != Unit.FREE_MONTHS) {
            // Cash is FirstPromoter's to pay; another unit is no reward the bridge applies.
            count(run, ReconciliationRun.Outcome.IGNORED, reward);
            return false;
        }
        Optional<ReconciledRecords.Found> found = records.find(reward.key());
        if (found.isEmpty()) {
            if (reward.cash()) {
                // Maybe an ordinary payout the team pays another way: counted and named, never queued from a list.
                count(run, ReconciliationRun.Outcome.CASH_UNKNOWN, reward);
                return false;
            }
            return paced(run, reward);
        }
        ReconciledRecords.Found record = found.get();
        if (reward.cash() && record.state() != FulfilmentState.GRANTED && record.state() != FulfilmentState.PAID) {
            // Never queued from a list, not even a stuck or parked delivery's: its payout waits for a delivery or a replay.
            count(run, ReconciliationRun.Outcome.LEFT, reward);
            return false;
        }
        switch (record.state()) {
            case RECEIVED:
                if (record.leased()) {
                    count(run, ReconciliationRun.Outcome.LEFT, reward);
                    return false;
                }
                return paced(run, reward);
            case DENIED:
            case REVERSED:
                return paced(run, reward);
            case GRANTED:
            case PAID:
                closeOrList(run, reward, record);
                return false;
            default:
                // Queued, parked, failed: left as it is (still listed where it was).
                count(run, ReconciliationRun.Outcome.LEFT, reward);
                return false;
        }
    }

    /**
     * A v2 commission is read from FirstPromoter's API as it is applied (its promoter, its reward): before its
     * answer deadline starts, the budget is waited for until a reconciliation draw would get a request
     * (docs/promises.md, Within FirstPromoter's limit). None within the background wait stops the run, the
     * next due when the budget is back. A v1 payout needs no call to be applied.
     */
    private boolean paced(ReconciliationRun run, ListedReward reward) {
        if (!reward.commission()) {
            return true;
        }
        try {
            budget.awaitRoom(FirstPromoterBudget.Caller.RECONCILIATION, FirstPromoterBudget.BACKGROUND_WAIT.toMillis());
            return true;
        } catch (FirstPromoterBudget.Spent spent) {
            run.stop(reward + " waits: " + spent.getMessage(), true, spent.until());
            return false;
        }
    }

    private void closeOrList(ReconciliationRun run, ListedReward reward, ReconciledRecords.Found record) {
        String notice = record.notice();
        if ("SENT".equals(notice) && record.notifiedAt() != null && !record.notifiedAt().isBefore(run.lease().startedAt())) {
            // Closed since this run began: its page may have been read before the close reached FirstPromoter.
            count(run, ReconciliationRun.Outcome.LEFT, reward);
        } else if ("SENT".equals(notice)) {
            records.listReopened(reward.key());
            count(run, ReconciliationRun.Outcome.REOPENED, reward);
        } else if ("DUE".equals(notice) || (record.updatedAt() != null && !record.updatedAt().isBefore(run.readAt()))) {
            // Its close is under way, or it was granted since the read (its delivery's own answer tells FirstPromoter).
            count(run, ReconciliationRun.Outcome.LEFT, reward);
        } else if (records.noticeDueNow(reward.key())) {
            count(run, ReconciliationRun.Outcome.CLOSED, reward);
        } else {
            count(run, ReconciliationRun.Outcome.LEFT, reward);
        }
    }

    /** What route fulfilment answered for a reward handed to it; null: FirstPromoter applies it itself, nothing done. */
    public void applied(ReconciliationRun run, ListedReward reward, Answer answer) {
        ReconciliationRun.Outcome outcome = answer == null ? ReconciliationRun.Outcome.IGNORED : switch (answer.outcome()) {
            case GRANTED, QUEUED -> ReconciliationRun.Outcome.APPLIED;
            case PARKED -> ReconciliationRun.Outcome.PARKED;
            case IGNORED -> ReconciliationRun.Outcome.IGNORED;
            default -> ReconciliationRun.Outcome.FAILED;
        };
        count(run, outcome, reward);
    }

    /** Applying a reward failed: its claim, if it took one, released at once for the next try; then as below. */
    public void failed(ReconciliationRun run, ListedReward reward, Claim claim, Deadline deadline, Throwable failure) {
        claims.release(claim, deadline);
        failed(run, reward, failure);
    }

    /**
     * Applying a reward failed (nothing of it committed: its claim was released). FirstPromoter's API or the
     * database unavailable ends the run, the next takes it up; another failure is counted and the run goes on.
     */
    public void failed(ReconciliationRun run, ListedReward reward, Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && !(cause instanceof RetryLater) && !(cause instanceof DataAccessException)) {
            cause = cause.getCause();
        }
        if (cause instanceof FirstPromoterBudget.Spent spent) {
            // No request for it in the budget: nothing asked, nothing failed; the next run, due when the budget is back, takes it up.
            run.stop(reward + " waits: " + spent.getMessage(), true, spent.until());
            return;
        }
        count(run, ReconciliationRun.Outcome.FAILED, reward);
        if (cause instanceof RetryLater || cause instanceof DataAccessException) {
            run.stop(reward + ": " + cause.getMessage(), false, null);
        } else {
            LOG.warn("reconciliation: {} could not be applied: {}", reward, cause.getMessage());
        }
    }

    /** Ends the run: the lease released, the next run due, one log line with its counts; the next run's pace from this one's. */
    public void finish(ReconciliationRun run) {
        pace = nextPace(run.actedOn(), run.rewards().size(), run.wentStale(), Duration.between(run.readEndedAt(), runs.now()));
        finish(run.lease(), run.toString(), run.runAgainNow(), run.retryAfterUntil());
    }

    /**
     * A run whose pages went stale acted on actedOn in {@link #PAGE_FRESH}: the next reads for four fifths
     * of that. One that acted on all it read sooner may read for more, in proportion, up to the budget's.
     */
    int nextPace(int actedOn, int read, boolean wentStale, Duration acting) {
        if (wentStale) {
            return Math.max(1, Math.min(mostPerRun, actedOn * 4 / 5));
        }
        if (actedOn < read || actedOn < pace || acting.isZero() || acting.isNegative()) {
            return pace;
        }
        long inAMinute = actedOn * PAGE_FRESH.toMillis() / Math.max(1, acting.toMillis()) * 4 / 5;
        return (int) Math.max(pace, Math.min(mostPerRun, inAMinute));
    }

    private void finish(ReconciliationRuns.Lease lease, String summary, boolean again, Instant retryAfterUntil) {
        Instant now = runs.now();
        Instant next = again ? now : lease.startedAt().plus(settings.interval());
        if (retryAfterUntil != null && next.isBefore(retryAfterUntil)) {
            next = retryAfterUntil;
        }
        runs.finish(lease, next.isBefore(now) ? now : next, retryAfterUntil, summary);
        LOG.info("reconciliation {} (in {} ms; next run at {})", summary, Duration.between(lease.startedAt(), now).toMillis(), next);
    }

    private void count(ReconciliationRun run, ReconciliationRun.Outcome outcome, ListedReward reward) {
        run.count(outcome, reward);
        counters.get(outcome).increment();
    }
}
