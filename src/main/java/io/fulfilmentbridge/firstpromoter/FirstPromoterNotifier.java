package io.fulfilmentbridge.firstpromoter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FirstPromoterNotices;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentState;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Tells FirstPromoter through its API that a reward it still holds pending is fulfilled
 * (docs/promises.md, Telling FirstPromoter): a cash payout paid after its delivery was answered, a parked reward an operator's replay
 * applied, or a v2 commission once its grant committed. The two inbound kinds name rewards by different
 * numbers, so each is closed only by the call made for its kind, with its own key:
 * - a fulfilment_pending delivery's data.id is a v1 payout id: API v1's payout update (PayoutUpdates), v1-api-key;
 *   max-attempts attempts;
 * - a v2 commission id: API v2's mark_fulfilled, api-key and account-id, up to five ids a call (those a
 *   poll finds due together); every failure (422 too: the payout record may not exist yet) is retried
 *   until mark-fulfilled-for has passed since the first attempt.
 * Given up notices are listed for operators. The firstpromoter-notify route hands over the rows whose
 * notice is due, of the kinds whose key is set; each attempt is counted in the row before the call, so
 * a crash loses no notice and a dead API is not called without end. A notice is background work for the
 * shared budget (docs/promises.md, Within FirstPromoter's limit): it takes its request without waiting,
 * within the half a minute's budget it shares with reconciliation, and none while deliveries wait; with
 * none to be had it stays due, no attempt counted, for a later poll.
 */
@Component("firstPromoterNotifier")
public class FirstPromoterNotifier {

    /** FirstPromoter API v1: changes a payout's status; with status=completed it is fulfilled. */
    public static final String PAYOUT_UPDATE = "/api/v1/payouts/update";
    /** FirstPromoter API v2 (under /api/v2/company): completes non-monetary commissions' payouts. */
    public static final String MARK_FULFILLED = "/commissions/mark_fulfilled";
    /** What the route's query takes for a kind that is not told: matches no source. */
    static final String NOT_TOLD = "none";
    /** The longest wait between two attempts. */
    static final Duration MAX_BACKOFF = Duration.ofHours(1);
    /** mark_fulfilled processes this many ids or fewer at once and answers the batch's outcome (more run later, counts only). */
    static final int MARK_FULFILLED_BATCH = 5;

    /**
     * A fulfilment whose notice is due, as route firstpromoter-notify read it: its source column, id, attempts
     * made, and the trace that made it due (null: none kept).
     */
    public record DueNotice(String source, long fulfilmentId, int attemptsBefore, String traceparent) {
    }

    /** The span a notice's call is made in, continuing the trace that made it due (docs/operations.md, Traces). */
    static final String NOTICE_SPAN = "firstpromoter notice";

    private static final Logger log = LoggerFactory.getLogger(FirstPromoterNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FirstPromoterNotices notices;
    private final MeterRegistry meters;
    private final PayoutUpdates payouts;
    private final ApiV2 v2;
    private final Duration readTimeout;
    private final int maxAttempts;
    private final Duration retryBackoff;
    private final Duration markFulfilledFor;
    private final DatabaseClock clock;
    private final Spans spans;
    private final FirstPromoterBudget budget;

    /**
     * The v2 key without an account id never gets here: FirstPromoterSettings refuses it at start-up.
     * clock: a notice's due time is compared by every instance's poll (docs/promises.md, One clock).
     */
    public FirstPromoterNotifier(FirstPromoterNotices notices, MeterRegistry meters, FirstPromoterSettings settings, DatabaseClock clock, Spans spans,
                                 FirstPromoterBudget budget) {
        this.notices = notices;
        this.budget = budget;
        this.spans = spans;
        this.clock = clock;
        this.meters = meters;
        this.payouts = new PayoutUpdates(settings, spans, budget);
        this.v2 = new ApiV2(settings, spans, budget);
        if (v2.configured() && !payouts.configured()) {
            log.info("bridge.firstpromoter.v1-api-key is not set: v2 commissions are closed in FirstPromoter with mark_fulfilled, "
                    + "but fulfilment_pending rewards carry v1 payout ids, closed only with the v1 key, so FirstPromoter is not "
                    + "told about their paid payouts or replayed rewards");
        }
        this.readTimeout = settings.readTimeout();
        this.maxAttempts = settings.maxAttempts();
        this.retryBackoff = settings.retryBackoff();
        this.markFulfilledFor = settings.markFulfilledFor();
        Gauge.builder("bridge.firstpromoter.notices.given.up", () -> {
            try {
                return notices.unclosedInFirstPromoterCount();
            } catch (RuntimeException databaseDown) {
                return Double.NaN;
            }
        }).description("Rewards FirstPromoter could not be told are fulfilled: close them there by hand").register(meters);
    }

    /** The firstpromoter-notify route exists only when this is true: either key is set. */
    public boolean enabled() {
        return payouts.configured() || v2.configured();
    }

    /** The source the route reads legacy rows of: v1 with the v1 key, else none. */
    public String legacySource() {
        return payouts.configured() ? Source.FULFILMENT_PENDING.ledgerSource() : NOT_TOLD;
    }

    /** The state the route reads rows to tell FirstPromoter of in: granted (a legacy payout also when paid). */
    public String grantedState() {
        return FulfilmentState.GRANTED.name();
    }

    public String paidState() {
        return FulfilmentState.PAID.name();
    }

    /** The source the route reads commission rows of: v2 with the v2 key, else none. */
    public String commissionSource() {
        return v2.configured() ? Source.COMMISSION.ledgerSource() : NOT_TOLD;
    }

    /**
     * The rows route firstpromoter-notify polled, in its order: legacy payouts one call each, v2 commissions
     * up to {@link #MARK_FULFILLED_BATCH} to a mark_fulfilled call. One failing (the database, say) leaves
     * the others to be told; it stays due for the next poll.
     */
    public void tellDue(List<Map<String, Object>> rows) {
        List<DueNotice> commissions = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            Object trace = row.get("firstpromoter_traceparent");
            DueNotice due = new DueNotice(String.valueOf(row.get("source")), ((Number) row.get("fulfilment_id")).longValue(),
                    ((Number) row.get("firstpromoter_attempts")).intValue(), trace == null ? null : trace.toString());
            if (Source.ofColumn(due.source()) == Source.COMMISSION && v2.configured()) {
                commissions.add(due);
            } else {
                isolated(List.of(due), () -> tell(due.source(), due.fulfilmentId(), due.attemptsBefore()));
            }
        }
        for (int from = 0; from < commissions.size(); from += MARK_FULFILLED_BATCH) {
            List<DueNotice> batch = commissions.subList(from, Math.min(commissions.size(), from + MARK_FULFILLED_BATCH));
            isolated(batch, () -> closeCommissions(batch));
        }
    }

    /** In the trace that made the first notice due (a batch's call is in its first's); a failure leaves the rest to be told. */
    private void isolated(List<DueNotice> notices, Runnable tell) {
        try {
            spans.continueFrom(notices.get(0).traceparent(), NOTICE_SPAN, () -> {
                tell.run();
                return null;
            });
        } catch (RuntimeException failed) {
            log.warn("telling FirstPromoter about {} failed: {}; still due, told at a later poll",
                    notices.stream().map(n -> n.source() + " " + n.fulfilmentId()).toList(), failed.toString());
        }
    }

    /**
     * Tells FirstPromoter that one fulfilment whose notice is due is fulfilled, by the call of its
     * source, and records how that went: sent, to be retried after a backoff, or given up.
     */
    public void tell(String source, long fulfilmentId, int attemptsBefore) {
        Source kind = Source.ofColumn(source);
        boolean told = kind == Source.COMMISSION ? v2.configured() : payouts.configured();
        if (!told) {
            return;
        }
        Instant drawn;
        try {
            drawn = budget.take(FirstPromoterBudget.Caller.NOTICE, 0);
        } catch (FirstPromoterBudget.Spent spent) {
            // Still due, no attempt counted: a later poll sends it.
            log.debug("telling FirstPromoter about {} {} waits: {}", source, fulfilmentId, spent.getMessage());
            return;
        }
        boolean called = kind == Source.COMMISSION ? closeCommission(fulfilmentId, attemptsBefore)
                : completeLegacyPayout(fulfilmentId, attemptsBefore);
        if (!called) {
            // Another instance took this attempt: its request goes back unused.
            budget.giveBack(FirstPromoterBudget.Caller.NOTICE, drawn);
        }
    }

    /** False when the attempt was not taken here (nothing called). */
    private boolean completeLegacyPayout(long payoutId, int attemptsBefore) {
        int attempt = attemptsBefore + 1;
        FulfilmentKey key = FulfilmentKey.pending(payoutId);
        // Counted before the call; also keeps a second bridge instance from sending the same notice.
        if (!notices.takeNoticeAttempt(key, attemptsBefore, clock.now().plus(backoff(attempt)))) {
            return false;
        }
        NoticeReply reply = payouts.complete(payoutId);
        if (reply.sent()) {
            sent(key, attempt);
        } else if (reply.retryable() && attempt < maxAttempts) {
            willRetry(key, attempt, reply, "attempt " + attempt + " of " + maxAttempts, backoff(attempt));
        } else {
            gaveUp(key, attempt, reply);
        }
        return true;
    }

    /** A v2 commission: retried whatever the failure, until mark-fulfilled-for has passed since the first attempt. */
    private boolean closeCommission(long commissionId, int attemptsBefore) {
        Optional<TakenAttempt> taken = takeCommissionAttempt(commissionId, attemptsBefore);
        if (taken.isEmpty()) {
            return false;
        }
        settle(taken.get(), markFulfilled(List.of(commissionId)));
        return true;
    }

    /** An attempt counted for a commission (before its call, as for one alone), and when its notice is given up. */
    private record TakenAttempt(FulfilmentKey key, int attempt, Instant giveUpAt) {
    }

    private Optional<TakenAttempt> takeCommissionAttempt(long commissionId, int attemptsBefore) {
        int attempt = attemptsBefore + 1;
        FulfilmentKey key = new FulfilmentKey(Source.COMMISSION, commissionId);
        return notices.takeCommissionNoticeAttempt(key, attemptsBefore, backoff(attempt), markFulfilledFor)
                .map(giveUpAt -> new TakenAttempt(key, attempt, giveUpAt));
    }

    /**
     * Up to five commissions in one mark_fulfilled call, its one request from the budget (none: all stay
     * due, no attempt counted). Each attempt is counted first, as for one alone; a batch whose answer may
     * be one id's failure is sent again one id a call within the same attempt (a request each, if the
     * budget has one), so no commission waits on another's; FirstPromoter down or busy retries them all later.
     */
    private void closeCommissions(List<DueNotice> batch) {
        if (batch.size() == 1) {
            DueNotice one = batch.get(0);
            tell(one.source(), one.fulfilmentId(), one.attemptsBefore());
            return;
        }
        Instant drawn;
        try {
            drawn = budget.take(FirstPromoterBudget.Caller.NOTICE, 0);
        } catch (FirstPromoterBudget.Spent spent) {
            log.debug("telling FirstPromoter about {} commissions waits: {}", batch.size(), spent.getMessage());
            return;
        }
        List<TakenAttempt> taken = new ArrayList<>();
        try {
            for (DueNotice due : batch) {
                takeCommissionAttempt(due.fulfilmentId(), due.attemptsBefore()).ifPresent(taken::add);
            }
        } catch (RuntimeException databaseDown) {
            // No call made: the request goes back; the attempts already counted wait their backoff, still due.
            budget.giveBack(FirstPromoterBudget.Caller.NOTICE, drawn);
            throw databaseDown;
        }
        if (taken.isEmpty()) {
            budget.giveBack(FirstPromoterBudget.Caller.NOTICE, drawn);
            return;
        }
        NoticeReply reply = markFulfilled(taken.stream().map(t -> t.key().id()).toList());
        if (reply.sent() || taken.size() == 1 || !reply.oneIdsFault()) {
            taken.forEach(t -> settle(t, reply));
            return;
        }
        for (TakenAttempt one : taken) {
            try {
                budget.take(FirstPromoterBudget.Caller.NOTICE, 0);
            } catch (FirstPromoterBudget.Spent spent) {
                settle(one, reply);
                continue;
            }
            settle(one, markFulfilled(List.of(one.key().id())));
        }
    }

    private void settle(TakenAttempt taken, NoticeReply reply) {
        if (reply.sent()) {
            sent(taken.key(), taken.attempt());
        } else if (clock.now().isBefore(taken.giveUpAt())) {
            Duration untilGiveUp = Duration.between(clock.now(), taken.giveUpAt());
            willRetry(taken.key(), taken.attempt(), reply, "attempt " + taken.attempt() + ", retried until " + taken.giveUpAt(),
                    backoff(taken.attempt()).compareTo(untilGiveUp) > 0 ? untilGiveUp : backoff(taken.attempt()));
        } else {
            gaveUp(taken.key(), taken.attempt(), reply);
        }
    }

    private void sent(FulfilmentKey key, int attempt) {
        notices.noticeSent(key, attempt);
        count("sent");
        log.info("told FirstPromoter that {} is fulfilled (attempt {})", what(key), attempt);
    }

    private void willRetry(FulfilmentKey key, int attempt, NoticeReply reply, String attempts, Duration nextIn) {
        notices.noticeFailed(key, attempt, reply.detail());
        count("retry");
        log.warn("telling FirstPromoter that {} is fulfilled failed ({}): {}; next attempt in {}", what(key), attempts,
                reply.detail(), nextIn.withNanos(nextIn.toMillisPart() * 1_000_000).toString().substring(2).toLowerCase());
    }

    private void gaveUp(FulfilmentKey key, int attempt, NoticeReply reply) {
        notices.noticeFailed(key, attempt, reply.detail());
        notices.noticeGaveUp(key, attempt);
        count("gave_up");
        log.warn("gave up telling FirstPromoter that {} is fulfilled after attempt {}: {}; mark it fulfilled in FirstPromoter "
                + "by hand (listed in the console's UnclosedInFirstPromoter)", what(key), attempt, reply.detail());
    }

    private static String what(FulfilmentKey key) {
        return (key.source() == Source.COMMISSION ? "commission " : "fulfilment ") + key.id();
    }

    /** API v2: POST {"ids": [...]}; five ids or fewer are processed at once and answered with the batch's outcome. */
    private NoticeReply markFulfilled(List<Long> commissionIds) {
        try {
            String ids = commissionIds.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
            ApiV2.Reply reply = v2.postJson(MARK_FULFILLED, "{\"ids\":[" + ids + "]}", readTimeout);
            if (!reply.ok()) {
                // A 4xx other than a refused key or a 429 may be one id's (its payout record not there yet): the others are sent alone.
                int status = reply.status();
                boolean oneIdsFault = status >= 400 && status < 500 && status != 401 && status != 403 && status != 429;
                return new NoticeReply(false, true, "status " + status + v2.excerpt(reply.body()), oneIdsFault);
            }
            String notProcessed = notProcessed(reply.body());
            return notProcessed == null ? NoticeReply.SENT
                    : new NoticeReply(false, true, "status " + reply.status() + ", " + notProcessed, true);
        } catch (IOException unreachable) {
            return new NoticeReply(false, true, unreachable.getClass().getSimpleName());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return new NoticeReply(false, true, "interrupted");
        }
    }

    /**
     * A BatchOperationResponse that reports the batch failed or stopped, a failed item or a processing
     * error: the commission was not closed. Anything else taken (completed, or pending and in_progress
     * for a batch FirstPromoter runs later; a 2xx without the documented body) is sent: a
     * processed_count of 0 alone is not read as a failure, since a commission closed by an earlier
     * attempt whose answer was lost may well count so.
     */
    private String notProcessed(String body) {
        JsonNode batch;
        try {
            batch = JSON.readTree(body == null ? "" : body);
        } catch (IOException notJson) {
            return null;
        }
        if (batch == null || !batch.isObject()) {
            return null;
        }
        String status = batch.path("status").asText("");
        JsonNode errors = batch.path("processing_errors");
        if ("failed".equals(status) || "stopped".equals(status) || batch.path("failed_count").asLong(0) > 0
                || (errors.isArray() && !errors.isEmpty())) {
            return "FirstPromoter did not process it (batch " + (status.isEmpty() ? "status unknown" : status)
                    + (errors.isArray() && !errors.isEmpty() ? v2.excerpt(errors.toString()) : "") + ")";
        }
        return null;
    }

    /** Doubling from retry-backoff after each failed attempt, at most an hour. */
    private Duration backoff(int attempt) {
        Duration doubled = retryBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    private void count(String outcome) {
        Counter.builder("bridge.firstpromoter.notices").description("Calls telling FirstPromoter a reward is fulfilled, by outcome")
                .tag("outcome", outcome).register(meters).increment();
    }
}
