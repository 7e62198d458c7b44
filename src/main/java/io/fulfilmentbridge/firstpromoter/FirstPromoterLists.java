package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.firstpromoter.AnswerFields.id;
import static io.fulfilmentbridge.firstpromoter.AnswerFields.text;
import static io.fulfilmentbridge.firstpromoter.ListAnswers.instant;
import static io.fulfilmentbridge.firstpromoter.ListAnswers.list;
import static io.fulfilmentbridge.firstpromoter.ListAnswers.next;
import static io.fulfilmentbridge.firstpromoter.ListAnswers.parse;
import static io.fulfilmentbridge.firstpromoter.ListAnswers.refused;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.tracing.Spans;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.StringUtils;

/**
 * FirstPromoter's own lists of the rewards it holds open, read page by page (docs/promises.md, Nothing
 * lost when every delivery failed): API v1's pending payouts (GET /api/v1/payouts/list?status=pending,
 * X-API-KEY), following a Link header's rel="next" where there is one, else page=N+1 until a page is
 * shorter than the first or empty; API v2's approved commissions not fulfilled (filters[status],
 * filters[fulfilled], filters[created_at][from], sorted oldest first, page and per_page=100) in either
 * answer shape. A list body holds promoters' auth_token and temp_password: it is read into
 * {@link ListedReward}s keeping only what a delivery is read from, and never logged or stored, not even
 * an excerpt. FirstPromoter busy (429, with its Retry-After), down, slow or refusing the key ends the read.
 * Each page takes its request from the shared budget first, as reconciliation (at most half a minute's,
 * none while deliveries wait): a page waits for one up to {@link FirstPromoterBudget#BACKGROUND_WAIT}, else the read ends.
 * A read stops at the page where it found what the run can act on while its pages are fresh ({@link Wanted}):
 * the run reads the list again from its first page next, where the rewards it closed are gone.
 */
final class FirstPromoterLists {

    /** API v2's largest page. */
    static final int PER_PAGE = 100;
    /** A run reads at most this many pages of a list; the rest waits for the next run. */
    static final int MAX_PAGES = 200;
    static final String PAYOUTS_LIST = "/api/v1/payouts/list";

    private static final Logger LOG = LoggerFactory.getLogger(FirstPromoterLists.class);
    private static final Pattern PAGING_HEADER = Pattern.compile("(?i)link|.*page.*|.*total.*|.*per[-_]page.*|.*next.*");

    /** The list could not be read whole now: the run ends; retryAfter is a 429's wait, else null. */
    static final class Unavailable extends Exception {
        private final transient Duration retryAfter;

        Unavailable(String reason, Duration retryAfter) {
            super(reason, null, false, false);
            this.retryAfter = retryAfter;
        }

        Duration retryAfter() {
            return retryAfter;
        }
    }

    /** What was read: the rewards, how many pages, and whether the list's end was reached (false: more for the next run). */
    record Read(List<ListedReward> rewards, int pages, boolean whole) {
    }

    /**
     * How much a run asks for: the read stops after the page on which {@code wanted} rewards that count
     * (those the run will act on) were found, so no page is read that the run cannot act on while it is fresh.
     */
    static final class Wanted {
        private final java.util.function.Predicate<ListedReward> counts;
        private final int wanted;
        private int found;

        Wanted(java.util.function.Predicate<ListedReward> counts, int wanted) {
            this.counts = counts;
            this.wanted = Math.max(1, wanted);
        }

        void found(ListedReward reward) {
            if (counts.test(reward)) {
                found++;
            }
        }

        boolean enough() {
            return found >= wanted;
        }
    }

    private final String v1Base;
    private final String v1Key;
    private final ApiV2 v2;
    private final Duration readTimeout;
    private final List<Long> campaignIds;
    private final HttpClient http;
    private final AtomicBoolean pagingLogged = new AtomicBoolean();
    private final Spans spans;
    private final FirstPromoterBudget budget;

    FirstPromoterLists(FirstPromoterSettings settings, ReconciliationSettings reconciliation, Spans spans, FirstPromoterBudget budget) {
        this.spans = spans;
        this.budget = budget;
        this.v1Base = settings.v1ApiBase().replaceAll("/+$", "");
        this.v1Key = StringUtils.hasText(settings.v1ApiKey()) ? settings.v1ApiKey().trim() : null;
        this.v2 = new ApiV2(settings, spans, budget);
        this.readTimeout = settings.readTimeout();
        this.campaignIds = reconciliation.campaignIds();
        this.http = ApiV2.client(settings);
    }

    // ---- API v1: pending payouts.

    /** afterEachPage: run after each page read (the run's lease renewed). */
    Read pendingPayouts(Wanted wanted, Runnable afterEachPage) throws Unavailable {
        List<ListedReward> rewards = new ArrayList<>();
        int pages = 0;
        for (Long campaign : campaignIds.isEmpty() ? java.util.Collections.<Long>singletonList(null) : campaignIds) {
            if (wanted.enough()) {
                return new Read(rewards, pages, false);
            }
            int[] read = payoutPages(campaign, rewards, wanted, afterEachPage);
            pages += read[0];
            if (read[1] == 0) {
                return new Read(rewards, pages, false);
            }
        }
        return new Read(rewards, pages, true);
    }

    /** {pages read, 1 when the campaign's list ended there else 0}. */
    private int[] payoutPages(Long campaign, List<ListedReward> into, Wanted wanted, Runnable afterEachPage) throws Unavailable {
        String first = v1Base + PAYOUTS_LIST + "?status=pending" + (campaign == null ? "" : "&campaign_id=" + campaign);
        Set<Long> seen = new HashSet<>();
        String url = first;
        int firstSize = -1;
        boolean linked = false;
        for (int page = 1; page <= MAX_PAGES; page++) {
            HttpResponse<String> answer = v1Get(url, page);
            afterEachPage.run();
            JsonNode items = list(answer.body(), "API v1's payouts list, page " + page);
            logPaging("payouts list", answer.headers());
            int added = 0;
            for (JsonNode item : items) {
                ListedReward reward = payout(item);
                if (reward != null && seen.add(reward.key().id())) {
                    into.add(reward);
                    wanted.found(reward);
                    added++;
                }
            }
            String next = next(answer.headers());
            if (items.isEmpty() || (page > 1 && added == 0)) {
                return new int[] {page, 1};
            }
            if (firstSize < 0) {
                firstSize = items.size();
            }
            if (next != null) {
                if (!next.startsWith(v1Base + "/")) {
                    // The key goes only to FirstPromoter's API v1: a next page elsewhere is not asked.
                    throw new Unavailable("API v1's payouts list names a next page outside " + v1Base + ": not followed", null);
                }
                url = next;
                linked = true;
            } else if (linked || answer.headers().firstValue("Link").isPresent() || items.size() < firstSize) {
                // A list that pages by Link names no next page on its last; one that does not page so ends short.
                return new int[] {page, 1};
            } else {
                url = first + "&page=" + (page + 1);
            }
            if (wanted.enough()) {
                return new int[] {page, 0};
            }
        }
        LOG.warn("FirstPromoter's payouts list runs past {} pages: the rest waits for the next run", MAX_PAGES);
        return new int[] {MAX_PAGES, 0};
    }

    private HttpResponse<String> v1Get(String url, int page) throws Unavailable {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(readTimeout).header("X-API-KEY", v1Key)
                .header("Accept", "application/json").GET().build();
        HttpResponse<String> answer;
        take("API v1's payouts list (page " + page + ")");
        try {
            answer = spans.http("firstpromoter", "GET /api/v1/payouts/list", () -> http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (HttpTimeoutException timedOut) {
            throw new Unavailable("API v1's payouts list timed out (page " + page + ")", null);
        } catch (IOException unreachable) {
            throw new Unavailable("API v1's payouts list could not be reached (page " + page + ": "
                    + unreachable.getClass().getSimpleName() + ")", null);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while reading API v1's payouts list", null);
        }
        budget.answered(answer.statusCode(), answer.headers());
        refused(answer.statusCode(), answer.headers(), "API v1's payouts list (page " + page + ")");
        return answer;
    }

    private static ListedReward payout(JsonNode item) {
        Long id = id(item.path("id"));
        if (id == null || !"pending".equals(text(item.path("status")))) {
            return null;
        }
        ObjectNode kept = ListAnswers.JSON.createObjectNode();
        for (String field : List.of("id", "status", "amount", "unit", "created_at")) {
            if (item.has(field)) {
                kept.set(field, item.get(field));
            }
        }
        JsonNode promoter = item.path("promoter");
        if (promoter.isObject()) {
            ObjectNode who = kept.putObject("promoter");
            for (String field : List.of("id", "cust_id", "email")) {
                if (promoter.has(field)) {
                    who.set(field, promoter.get(field));
                }
            }
        }
        if (item.path("campaign").has("id")) {
            kept.putObject("campaign").set("id", item.path("campaign").get("id"));
        }
        return new ListedReward(FulfilmentKey.pending(id), text(item.path("unit")), instant(item.path("created_at")), null, kept);
    }

    // ---- API v2: approved commissions not fulfilled.

    Read openCommissions(Instant since, Wanted wanted, Runnable afterEachPage) throws Unavailable {
        StringBuilder query = new StringBuilder("/commissions?filters%5Bstatus%5D=approved&filters%5Bfulfilled%5D=no")
                .append("&filters%5Bcreated_at%5D%5Bfrom%5D=").append(since.atOffset(ZoneOffset.UTC).toLocalDate())
                .append("&sorting%5Bcreated_at%5D=asc");
        campaignIds.forEach(c -> query.append("&filters%5Bcampaign_id%5D%5B%5D=").append(c));
        List<ListedReward> rewards = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int page = 1; page <= MAX_PAGES; page++) {
            ApiV2.Reply reply;
            take("API v2's commissions list (page " + page + ")");
            try {
                reply = v2.get(query + "&page=" + page + "&per_page=" + PER_PAGE, readTimeout);
            } catch (HttpTimeoutException timedOut) {
                throw new Unavailable("API v2's commissions list timed out (page " + page + ")", null);
            } catch (IOException unreachable) {
                throw new Unavailable("API v2's commissions list could not be reached (page " + page + ": "
                        + unreachable.getClass().getSimpleName() + ")", null);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted while reading API v2's commissions list", null);
            }
            refused(reply.status(), reply.headers(), "API v2's commissions list (page " + page + ")");
            afterEachPage.run();
            JsonNode answer = parse(reply.body(), "API v2's commissions list, page " + page);
            JsonNode items = ApiV2.listItems(answer);
            if (items == null) {
                throw new Unavailable("API v2's commissions list, page " + page + ", is not a list", null);
            }
            logPaging("commissions list", reply.headers());
            int added = 0;
            for (JsonNode item : items) {
                ListedReward reward = commission(item);
                if (reward != null && seen.add(reward.key().id())) {
                    rewards.add(reward);
                    wanted.found(reward);
                    added++;
                }
            }
            ApiV2.Paging paging = ApiV2.paging(answer, page);
            if (items.isEmpty() || (page > 1 && added == 0) || paging == ApiV2.Paging.LAST
                    || (paging == ApiV2.Paging.UNSAID && items.size() < PER_PAGE)) {
                return new Read(rewards, page, true);
            }
            if (wanted.enough()) {
                return new Read(rewards, page, false);
            }
        }
        LOG.warn("FirstPromoter's commissions list runs past {} pages: the rest waits for the next run", MAX_PAGES);
        return new Read(rewards, MAX_PAGES, false);
    }

    private static ListedReward commission(JsonNode item) {
        Long id = id(item.path("id"));
        if (id == null) {
            return null;
        }
        ObjectNode kept = ListAnswers.JSON.createObjectNode();
        for (String field : List.of("id", "status", "unit", "amount", "created_at", "status_updated_at")) {
            if (item.has(field)) {
                kept.set(field, item.get(field));
            }
        }
        JsonNode campaign = item.path("promoter_campaign");
        if (campaign.isObject()) {
            ObjectNode pc = kept.putObject("promoter_campaign");
            for (String field : List.of("campaign_id", "promoter_id")) {
                if (campaign.has(field)) {
                    pc.set(field, campaign.get(field));
                }
            }
            if (campaign.path("promoter").isObject()) {
                ObjectNode promoter = pc.putObject("promoter");
                for (String field : List.of("id", "email")) {
                    if (campaign.path("promoter").has(field)) {
                        promoter.set(field, campaign.path("promoter").get(field));
                    }
                }
            }
        }
        JsonNode referral = item.path("referral");
        if (referral.isObject()) {
            ObjectNode r = kept.putObject("referral");
            for (String field : List.of("id", "email", "uid")) {
                if (referral.has(field)) {
                    r.set(field, referral.get(field));
                }
            }
        }
        if (item.path("reward").has("id")) {
            kept.putObject("reward").set("id", item.path("reward").get("id"));
        }
        return new ListedReward(new FulfilmentKey(Source.COMMISSION, id), text(item.path("unit")), instant(item.path("created_at")),
                instant(item.path("status_updated_at")), kept);
    }

    // ---- Shared.

    /** A page's request from the budget; none within the background wait ends the read, the next run due when there is one. */
    private void take(String what) throws Unavailable {
        try {
            budget.take(FirstPromoterBudget.Caller.RECONCILIATION, FirstPromoterBudget.BACKGROUND_WAIT.toMillis());
        } catch (FirstPromoterBudget.Spent spent) {
            throw new Unavailable(what + " not asked: " + spent.getMessage(), spent.retryIn());
        }
    }

    /** Once: the paging header names FirstPromoter's first real answer used (never their values). */
    private void logPaging(String list, HttpHeaders headers) {
        if (pagingLogged.compareAndSet(false, true)) {
            String names = headers.map().keySet().stream().filter(n -> PAGING_HEADER.matcher(n).matches()).sorted()
                    .collect(Collectors.joining(", "));
            LOG.info("FirstPromoter's {} answered with paging headers: {}", list,
                    names.isEmpty() ? "none (pages are asked by number until one is short)" : names);
        }
    }
}
