package io.fulfilmentbridge.firstpromoter;

import io.fulfilmentbridge.fulfilment.ReconciliationRuns;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One reconciliation run (route reconciliation): its lease, the rewards read from every page it acts on
 * before any is acted on (oldest first), and what became of each, counted for the log line, the summary and the
 * metrics. toString is the summary: no list body, cash named by fulfilment id only.
 */
public final class ReconciliationRun {

    /** What became of a listed reward (bridge_reconciliation_rewards_total's outcome). */
    enum Outcome {
        APPLIED, CLOSED, REOPENED, LEFT, CASH_UNKNOWN, PARKED, IGNORED, FAILED;

        String label() {
            return name().toLowerCase();
        }
    }

    /** How many cash ids the summary names; the rest are counted. */
    static final int CASH_NAMED = 50;

    private final ReconciliationRuns.Lease lease;
    private final Instant readAt;
    private final Instant readEndedAt;
    private final List<ListedReward> rewards;
    private final int pages;
    private final int beforeSince;
    private final int young;
    private final boolean whole;
    private final Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
    private final List<Long> cashUnknown = new ArrayList<>();
    private Instant renewedAt;
    private String stoppedBecause;
    private boolean runAgainNow;
    private boolean wentStale;
    private Instant retryAfterUntil;

    /**
     * readAt: when the first page was asked for; readEndedAt: when the last one was read; whole: the list's
     * end was read (else the next run is due at once, to read on).
     */
    ReconciliationRun(ReconciliationRuns.Lease lease, Instant readAt, Instant readEndedAt, List<ListedReward> rewards, int pages,
                      int beforeSince, int young, boolean whole) {
        this.lease = lease;
        this.readAt = readAt;
        this.readEndedAt = readEndedAt;
        this.rewards = List.copyOf(rewards);
        this.pages = pages;
        this.beforeSince = beforeSince;
        this.young = young;
        this.whole = whole;
        this.runAgainNow = !whole;
        this.renewedAt = readEndedAt;
    }

    /** A listed reward with the run it belongs to: what route reconciliation splits a run into. */
    public record Item(ReconciliationRun run, ListedReward reward) {
    }

    /** The rewards to act on, oldest first. */
    public List<ListedReward> rewards() {
        return rewards;
    }

    /** The rewards as route reconciliation hands each to the bean in turn, each with this run. */
    public List<Item> items() {
        return rewards.stream().map(reward -> new Item(this, reward)).toList();
    }

    ReconciliationRuns.Lease lease() {
        return lease;
    }

    Instant readAt() {
        return readAt;
    }

    Instant readEndedAt() {
        return readEndedAt;
    }

    Instant renewedAt() {
        return renewedAt;
    }

    void renewed(Instant at) {
        renewedAt = at;
    }

    synchronized void count(Outcome outcome, ListedReward reward) {
        counts.merge(outcome, 1, Integer::sum);
        if (outcome == Outcome.CASH_UNKNOWN) {
            cashUnknown.add(reward.key().id());
        }
    }

    synchronized int counted(Outcome outcome) {
        return counts.getOrDefault(outcome, 0);
    }

    /** How many of its rewards the run acted on (each is counted once, whatever became of it). */
    synchronized int actedOn() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Its pages were read too long ago to act on the rest: the next run, due at once, reads them again. */
    synchronized void stale(String because) {
        if (stoppedBecause == null) {
            wentStale = true;
        }
        stop(because, true, null);
    }

    synchronized boolean wentStale() {
        return wentStale;
    }

    synchronized void stop(String because, boolean again, Instant retryAfter) {
        if (stoppedBecause == null) {
            stoppedBecause = because;
            runAgainNow = again;
            retryAfterUntil = retryAfter;
        }
    }

    synchronized boolean stopped() {
        return stoppedBecause != null;
    }

    synchronized boolean runAgainNow() {
        return runAgainNow;
    }

    synchronized Instant retryAfterUntil() {
        return retryAfterUntil;
    }

    @Override
    public synchronized String toString() {
        String outcomes = java.util.Arrays.stream(Outcome.values()).map(o -> o.label() + " " + counted(o)).collect(Collectors.joining(", "));
        String cash = cashUnknown.isEmpty() ? "" : " (cash not queued, unknown to the bridge: fulfilments "
                + cashUnknown.stream().limit(CASH_NAMED).map(String::valueOf).collect(Collectors.joining(", "))
                + (cashUnknown.size() > CASH_NAMED ? " and " + (cashUnknown.size() - CASH_NAMED) + " more" : "") + ")";
        return lease.source().ledgerSource() + ": " + pages + " pages read, " + rewards.size() + " open rewards to act on ("
                + beforeSince + " created before since " + lease.since() + " and " + young + " within the grace not counted): "
                + outcomes + cash + (whole ? "" : "; the list holds more than a run acts on while its pages are fresh: the next run, "
                + "due at once, reads it again") + (stoppedBecause == null ? "" : "; stopped: " + stoppedBecause);
    }
}
