package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stand-in's lists answer as FirstPromoter's docs say, so the reconciliation tests read real paging. */
class FirstPromoterStandInListsTest {

    private static final FirstPromoterStandIn FP = new FirstPromoterStandIn(0);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-01T10:00:00Z");

    @AfterAll
    static void stop() {
        FP.stop();
    }

    @BeforeEach
    void reset() {
        FP.reset();
    }

    private HttpResponse<String> call(String method, String pathAndQuery, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(FP.baseUrl() + pathAndQuery));
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Long> ids(JsonNode items) {
        List<Long> ids = new ArrayList<>();
        items.forEach(i -> ids.add(i.path("id").asLong()));
        return ids;
    }

    @Test
    void v1PayoutsArePagedByALinkHeaderAndCompletedByTheUpdate() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.LINK_HEADER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        for (long id = 1; id <= 5; id++) {
            FP.addPayout(id, "credits", "10", T.plusSeconds(id), 7, "p@example.org", null);
        }
        HttpResponse<String> first = call("GET", "/api/v1/payouts/list?status=pending", null);
        assertThat(ids(JSON.readTree(first.body()))).containsExactly(1L, 2L);
        assertThat(first.headers().firstValue("Link")).hasValue("<" + FP.baseUrl() + "/api/v1/payouts/list?status=pending&page=2>; rel=\"next\"");
        HttpResponse<String> last = call("GET", "/api/v1/payouts/list?status=pending&page=3", null);
        assertThat(ids(JSON.readTree(last.body()))).containsExactly(5L);
        assertThat(last.headers().firstValue("Link")).isEmpty();

        assertThat(call("PUT", "/api/v1/payouts/update?id=2&status=completed", null).statusCode()).isEqualTo(200);
        assertThat(FP.payoutStatus(2)).isEqualTo("completed");
        assertThat(ids(JSON.readTree(call("GET", "/api/v1/payouts/list?status=pending", null).body()))).containsExactly(1L, 3L);
        assertThat(call("PUT", "/api/v1/payouts/update?id=99&status=completed", null).statusCode()).isEqualTo(404);
    }

    @Test
    void v1PayoutsByPageNumberCarryNoLinkHeader() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        for (long id = 1; id <= 3; id++) {
            FP.addPayout(id, "points", "10", T, 7, "p@example.org", "cust-7");
        }
        HttpResponse<String> second = call("GET", "/api/v1/payouts/list?status=pending&page=2", null);
        assertThat(ids(JSON.readTree(second.body()))).containsExactly(3L);
        assertThat(second.headers().firstValue("Link")).isEmpty();
        assertThat(JSON.readTree(second.body()).get(0).path("promoter").path("auth_token").asText()).isNotEmpty();
    }

    @Test
    void v2CommissionsAreFilteredSortedAndPagedInEitherShape() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.DATA_AND_META);
        FP.addCommission(3, "approved", "credits", 10, T.plusSeconds(3), T, 7, "p@example.org");
        FP.addCommission(1, "approved", "credits", 10, T.plusSeconds(1), T, 7, "p@example.org");
        FP.addCommission(2, "denied", "credits", 10, T.plusSeconds(2), T, 7, "p@example.org");
        FP.addCommission(4, "approved", "points", 10, T.plusSeconds(4), T, 7, "p@example.org");
        String query = "/api/v2/company/commissions?filters%5Bstatus%5D=approved&filters%5Bfulfilled%5D=no&sorting%5Bcreated_at%5D=asc"
                + "&per_page=2&page=";
        JsonNode first = JSON.readTree(call("GET", query + 1, null).body());
        assertThat(ids(first.path("data"))).containsExactly(1L, 3L);
        assertThat(first.path("meta").path("total_pages").asInt()).isEqualTo(2);

        HttpResponse<String> five = call("POST", "/api/v2/company/commissions/mark_fulfilled", "{\"ids\":[1]}");
        assertThat(JSON.readTree(five.body()).path("status").asText()).isEqualTo("completed");
        assertThat(FP.commissionFulfilled(1)).isTrue();
        assertThat(ids(JSON.readTree(call("GET", query + 1, null).body()).path("data"))).containsExactly(3L, 4L);

        HttpResponse<String> six = call("POST", "/api/v2/company/commissions/mark_fulfilled", "{\"ids\":[3,4,5,6,7,8]}");
        assertThat(six.statusCode()).isEqualTo(202);
        assertThat(FP.commissionFulfilled(3)).isFalse();
        assertThat(FP.markFulfilledBatches()).containsExactlyInAnyOrder(List.of(1L), List.of(3L, 4L, 5L, 6L, 7L, 8L));

        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        assertThat(ids(JSON.readTree(call("GET", query + 1, null).body()))).containsExactly(3L, 4L);
    }

    @Test
    void listReadsFailFromTheNthOnUntilHealed() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        FP.failListReadsFrom(2, 429, 7);
        assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(200);
        HttpResponse<String> limited = call("GET", "/api/v1/payouts/list?status=pending&page=2", null);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).hasValue("7");
        FP.healLists();
        assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(200);
        assertThat(FP.listReads()).hasSize(3);
    }

    @Test
    void pastItsLimitEveryCallIsAnswered429WithRetryAfterAndChangesNothing() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        FP.addPayout(1, "credits", "10", T, 7, "p@example.org", null);
        FP.addPayout(2, "credits", "10", T, 7, "p@example.org", null);
        FP.stubPromoter(7, "p@example.org", "cust-7");
        FP.limitRequestsPerMinute(4);

        // Four calls of four kinds within the minute: all served.
        assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(200);
        assertThat(call("PUT", "/api/v1/payouts/update?id=1&status=completed", null).statusCode()).isEqualTo(200);
        assertThat(call("POST", "/api/v2/company/commissions/mark_fulfilled", "{\"ids\":[99]}").statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v2/company/promoters/7", null).statusCode()).isEqualTo(200);

        // The fifth, whatever it asks: 429, Retry-After until the first of the four is a minute old, nothing done.
        HttpResponse<String> fifth = call("PUT", "/api/v1/payouts/update?id=2&status=completed", null);
        assertThat(fifth.statusCode()).isEqualTo(429);
        assertThat(fifth.headers().firstValue("Retry-After")).hasValueSatisfying(s -> assertThat(Integer.parseInt(s)).isBetween(55, 60));
        assertThat(JSON.readTree(fifth.body()).path("code").asText()).isEqualTo("rate_limited");
        assertThat(FP.payoutStatus(2)).isEqualTo("pending");
        assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(429);
        assertThat(FP.tooManyRequestsAnswers()).extracting(r -> r.getMethod().getName()).containsExactlyInAnyOrder("PUT", "GET");

        // Off again: served.
        FP.limitRequestsPerMinute(0);
        assertThat(call("PUT", "/api/v1/payouts/update?id=2&status=completed", null).statusCode()).isEqualTo(200);
        assertThat(FP.payoutStatus(2)).isEqualTo("completed");
    }

    @Test
    void withoutALimitNoCallIsAnswered429() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        for (int i = 0; i < 250; i++) {
            assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(200);
        }
        assertThat(FP.tooManyRequestsAnswers()).isEmpty();
    }

    @Test
    void aResetTurnsTheLimitOff() throws Exception {
        FP.limitRequestsPerMinute(1);
        FP.reset();
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 2, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/payouts/list?status=pending", null).statusCode()).isEqualTo(200);
    }
}
