package io.fulfilmentbridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The FirstPromoter stand-in's state of open rewards (v1 payouts, v2 commissions), answered by its list
 * and close endpoints as FirstPromoter's docs describe them: v1 payouts/list filtered by status, paged
 * by a Link header or page=N; v2 commissions filtered by filters[status], filters[fulfilled] and
 * filters[created_at][from], sorted by sorting[created_at], paged by page and per_page (20 by default, at
 * most 100), as a bare array or {data, meta}; v1 payouts/update completes a payout; mark_fulfilled with at
 * most 5 ids closes them at once and answers the batch completed, with more it answers 202 pending with
 * counts only and closes nothing yet.
 */
final class OpenRewards implements ResponseDefinitionTransformerV2 {

    static final String NAME = "firstpromoter-open-rewards";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<Long, ObjectNode> payouts = new LinkedHashMap<>();
    private final Map<Long, ObjectNode> commissions = new LinkedHashMap<>();
    private final Map<Long, Boolean> fulfilled = new LinkedHashMap<>();
    private final AtomicInteger listReads = new AtomicInteger();
    private FirstPromoterStandIn.V1Paging v1Paging = FirstPromoterStandIn.V1Paging.PAGE_NUMBER;
    private int v1PageSize = 20;
    private FirstPromoterStandIn.ListShape v2Shape = FirstPromoterStandIn.ListShape.BARE_ARRAY;
    private String baseUrl = "";
    private int failFrom = Integer.MAX_VALUE;
    private int failStatus;
    private Integer retryAfter;
    private boolean completeUnknownPayouts;

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean applyGlobally() {
        return false;
    }

    synchronized void configure(FirstPromoterStandIn.V1Paging paging, int pageSize, FirstPromoterStandIn.ListShape shape, String base) {
        this.v1Paging = paging;
        this.v1PageSize = pageSize;
        this.v2Shape = shape;
        this.baseUrl = base;
    }

    synchronized void clear() {
        payouts.clear();
        commissions.clear();
        fulfilled.clear();
        listReads.set(0);
        failFrom = Integer.MAX_VALUE;
        completeUnknownPayouts = false;
    }

    synchronized void completeUnknownPayouts() {
        completeUnknownPayouts = true;
    }

    synchronized void failFrom(int n, int status, Integer retryAfterSeconds) {
        this.failFrom = n == Integer.MAX_VALUE ? n : listReads.get() + n;
        this.failStatus = status;
        this.retryAfter = retryAfterSeconds;
    }

    synchronized void addPayout(long id, String unit, String amount, Instant createdAt, long promoterId, String email, String custId) {
        ObjectNode payout = JSON.createObjectNode();
        payout.put("id", id).put("status", "pending").put("amount", amount).putNull("date_paid").putNull("due_date")
                .put("unit", unit).put("created_at", createdAt.toString()).put("has_issues", false);
        payout.putObject("reward").put("id", 140362).put("unit", unit).put("name", "Reward");
        ObjectNode promoter = payout.putObject("promoter");
        promoter.put("id", promoterId).put("status", "active");
        if (custId == null) {
            promoter.putNull("cust_id");
        } else {
            promoter.put("cust_id", custId);
        }
        promoter.put("email", email).put("temp_password", "temp-password-" + promoterId)
                .put("auth_token", "auth-token-of-promoter-" + promoterId);
        payout.putObject("campaign").put("id", 26127).put("name", "Partners");
        payouts.put(id, payout);
    }

    synchronized void addCommission(long id, String status, String unit, long amount, Instant createdAt, Instant statusUpdatedAt,
                                    long promoterId, String email) {
        try {
            ObjectNode commission = (ObjectNode) JSON.readTree(FirstPromoterStandIn.commission(id, status, unit, amount, promoterId,
                    email, null, null, null, null));
            commission.put("created_at", createdAt.toString());
            commission.put("status_updated_at", statusUpdatedAt == null ? null : statusUpdatedAt.toString());
            commissions.put(id, commission);
            fulfilled.put(id, false);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    synchronized void setCommissionStatus(long id, String status, Instant at) {
        commissions.get(id).put("status", status).put("status_updated_at", at.toString());
    }

    synchronized void reopen(long id) {
        if (payouts.containsKey(id)) {
            payouts.get(id).put("status", "pending");
        }
        if (commissions.containsKey(id)) {
            fulfilled.put(id, false);
        }
    }

    synchronized String payoutStatus(long id) {
        return payouts.containsKey(id) ? payouts.get(id).path("status").asText() : null;
    }

    synchronized boolean fulfilled(long id) {
        return Boolean.TRUE.equals(fulfilled.get(id));
    }

    @Override
    public synchronized ResponseDefinition transform(ServeEvent event) {
        Request request = event.getRequest();
        String path = request.getUrl().replaceFirst("\\?.*", "");
        String method = request.getMethod().getName();
        if ("GET".equals(method) && (path.equals(FirstPromoterStandIn.PAYOUTS_LIST) || path.equals(FirstPromoterStandIn.COMMISSIONS))) {
            if (listReads.incrementAndGet() >= failFrom) {
                ResponseDefinition failure = failure();
                if (failure != null) {
                    return failure;
                }
            }
            return path.equals(FirstPromoterStandIn.PAYOUTS_LIST) ? payoutsPage(request) : commissionsPage(request);
        }
        if ("PUT".equals(method)) {
            return payoutUpdate(request);
        }
        return markFulfilled(request);
    }

    private ResponseDefinition failure() {
        var answer = FirstPromoterStandIn.error(failStatus, failStatus == 429 ? "Too many requests" : "Service unavailable", "unavailable");
        if (retryAfter != null) {
            answer = answer.withHeader("Retry-After", Integer.toString(retryAfter));
        }
        return answer.build();
    }

    private static String param(Request request, String name) {
        var values = request.queryParameter(name);
        return values.isPresent() ? values.firstValue() : null;
    }

    private ResponseDefinition payoutsPage(Request request) {
        String status = param(request, "status");
        List<ObjectNode> matching = payouts.values().stream().filter(p -> status == null || status.equals(p.path("status").asText()))
                .toList();
        int page = param(request, "page") == null ? 1 : Integer.parseInt(param(request, "page"));
        List<ObjectNode> items = slice(matching, page, v1PageSize);
        var answer = com.github.tomakehurst.wiremock.client.WireMock.okJson(array(items).toString());
        if (v1Paging == FirstPromoterStandIn.V1Paging.LINK_HEADER && page * v1PageSize < matching.size()) {
            String next = baseUrl + FirstPromoterStandIn.PAYOUTS_LIST + "?" + (status == null ? "" : "status=" + status + "&") + "page=" + (page + 1);
            answer = answer.withHeader("Link", "<" + next + ">; rel=\"next\"");
        }
        return answer.build();
    }

    private ResponseDefinition commissionsPage(Request request) {
        var ids = request.queryParameter("ids[]");
        if (ids.isPresent()) {
            List<ObjectNode> asked = ids.values().stream().map(Long::parseLong).filter(commissions::containsKey).map(commissions::get).toList();
            return com.github.tomakehurst.wiremock.client.WireMock.okJson(array(asked).toString()).build();
        }
        String status = param(request, "filters[status]");
        String fulfilledFilter = param(request, "filters[fulfilled]");
        String from = param(request, "filters[created_at][from]");
        List<ObjectNode> matching = new ArrayList<>(commissions.values().stream()
                .filter(c -> status == null || status.equals(c.path("status").asText()))
                .filter(c -> fulfilledFilter == null || ("yes".equals(fulfilledFilter) == fulfilled(c.path("id").asLong())))
                .filter(c -> from == null || !Instant.parse(c.path("created_at").asText())
                        .isBefore(LocalDate.parse(from).atStartOfDay().toInstant(ZoneOffset.UTC)))
                .toList());
        String sorting = param(request, "sorting[created_at]");
        if (sorting != null) {
            Comparator<ObjectNode> byCreation = Comparator.comparing(c -> Instant.parse(c.path("created_at").asText()));
            matching.sort("desc".equals(sorting) ? byCreation.reversed() : byCreation);
        }
        int perPage = param(request, "per_page") == null ? 20 : Math.min(100, Integer.parseInt(param(request, "per_page")));
        int page = param(request, "page") == null ? 1 : Integer.parseInt(param(request, "page"));
        List<ObjectNode> items = slice(matching, page, perPage);
        if (v2Shape == FirstPromoterStandIn.ListShape.BARE_ARRAY) {
            return com.github.tomakehurst.wiremock.client.WireMock.okJson(array(items).toString()).build();
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.set("data", array(items));
        int totalPages = Math.max(1, (matching.size() + perPage - 1) / perPage);
        answer.putObject("meta").put("current_page", page).put("per_page", perPage).put("total_count", matching.size())
                .put("total_pages", totalPages);
        return com.github.tomakehurst.wiremock.client.WireMock.okJson(answer.toString()).build();
    }

    private static List<ObjectNode> slice(List<ObjectNode> items, int page, int size) {
        int from = Math.max(0, (page - 1) * size);
        return from >= items.size() ? List.of() : items.subList(from, Math.min(items.size(), from + size));
    }

    private static ArrayNode array(List<ObjectNode> items) {
        ArrayNode array = JSON.createArrayNode();
        items.forEach(i -> array.add(i.deepCopy()));
        return array;
    }

    private ResponseDefinition payoutUpdate(Request request) {
        long id = Long.parseLong(param(request, "id"));
        ObjectNode payout = payouts.get(id);
        if (payout == null && completeUnknownPayouts) {
            return com.github.tomakehurst.wiremock.client.WireMock.okJson("{\"id\":" + id + ",\"status\":\"completed\"}").build();
        }
        if (payout == null) {
            return FirstPromoterStandIn.error(404, "Payment not found", "not_found").build();
        }
        String status = param(request, "status");
        if (status != null) {
            payout.put("status", status);
        }
        return com.github.tomakehurst.wiremock.client.WireMock.okJson(payout.toString()).build();
    }

    private ResponseDefinition markFulfilled(Request request) {
        List<Long> ids = ids(request.getBodyAsString());
        if (ids.size() > 5) {
            // FirstPromoter runs a larger batch later and reports counts only: nothing is closed yet.
            return com.github.tomakehurst.wiremock.client.WireMock.okJson("{\"id\":4713,\"status\":\"pending\",\"total\":" + ids.size() + ",\"selected_total\":"
                    + ids.size() + ",\"processed_count\":0,\"failed_count\":0,\"action_label\":\"mark_fulfilled\",\"meta\":{},"
                    + "\"progress\":0,\"processing_errors\":[]}").withStatus(202).build();
        }
        int failed = 0;
        for (long id : ids) {
            if (commissions.containsKey(id) && !"cash".equals(commissions.get(id).path("unit").asText())) {
                fulfilled.put(id, true);
            } else {
                failed++;
            }
        }
        return com.github.tomakehurst.wiremock.client.WireMock.okJson("{\"id\":4711,\"status\":\"completed\",\"total\":" + ids.size() + ",\"selected_total\":"
                + ids.size() + ",\"processed_count\":" + (ids.size() - failed) + ",\"failed_count\":" + failed
                + ",\"action_label\":\"mark_fulfilled\",\"meta\":{},\"progress\":100,\"processing_errors\":[]}").build();
    }

    static List<Long> ids(String body) {
        try {
            List<Long> ids = new ArrayList<>();
            JsonNode node = JSON.readTree(body).path("ids");
            node.forEach(id -> ids.add(id.asLong()));
            return ids;
        } catch (IOException e) {
            return List.of();
        }
    }
}
