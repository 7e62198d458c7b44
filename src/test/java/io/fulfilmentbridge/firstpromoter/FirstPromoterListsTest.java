package io.fulfilmentbridge.firstpromoter;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fulfilmentbridge.FirstPromoterStandIn;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How reconciliation reads FirstPromoter's lists where they misbehave: a next page named elsewhere is not
 * followed (the key would go with it), a list that ignores page= ends at the first page repeating, meta's
 * last page ends the read, a 429's Retry-After (seconds or a date) is kept, and no failure names a body.
 */
class FirstPromoterListsTest {

    private static final FirstPromoterStandIn FP = new FirstPromoterStandIn(0);
    private static final String PAYOUT = "{\"id\":%d,\"status\":\"pending\",\"amount\":\"20\",\"unit\":\"credits\","
            + "\"created_at\":\"2026-06-01T10:00:00Z\",\"promoter\":{\"id\":7,\"email\":\"p@example.org\",\"auth_token\":\"secret-token\"}}";

    /** As many as the list holds. */
    private static final FirstPromoterLists.Wanted EVERY_PAGE = new FirstPromoterLists.Wanted(r -> true, Integer.MAX_VALUE);

    @AfterAll
    static void stop() {
        FP.stop();
    }

    @BeforeEach
    void reset() {
        FP.reset();
    }

    private FirstPromoterLists lists() {
        FirstPromoterSettings settings = new FirstPromoterSettings("legacy", "v1-key", FP.baseUrl(), "v2-key", "acc", FP.baseUrl(),
                Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5), 6, Duration.ofMinutes(1), Duration.ofHours(24),
                Duration.ofMinutes(5), 200);
        return new FirstPromoterLists(settings, new ReconciliationSettings(true, Duration.ofMinutes(15), Duration.ofMinutes(30), null, null), io.fulfilmentbridge.tracing.Spans.off(), new NoBudget(settings));
    }

    private static String payouts(long... ids) {
        StringBuilder json = new StringBuilder("[");
        for (long id : ids) {
            json.append(json.length() > 1 ? "," : "").append(String.format(PAYOUT, id));
        }
        return json.append("]").toString();
    }

    @Test
    void aNextPageNamedOutsideFirstPromotersApiIsNotFollowed() {
        FP.server().stubFor(get(urlPathEqualTo("/api/v1/payouts/list")).willReturn(okJson(payouts(1, 2))
                .withHeader("Link", "<https://elsewhere.example/api/v1/payouts/list?page=2>; rel=\"next\"")));

        assertThatThrownBy(() -> lists().pendingPayouts(EVERY_PAGE, () -> { }))
                .hasMessage("API v1's payouts list names a next page outside " + FP.baseUrl() + ": not followed");
    }

    @Test
    void aListIgnoringThePageEndsAtTheFirstPageRepeatingAndEachPageRenewsTheLease() throws Exception {
        FP.server().stubFor(get(urlPathEqualTo("/api/v1/payouts/list")).willReturn(okJson(payouts(1, 2, 3))));
        AtomicInteger renewed = new AtomicInteger();

        FirstPromoterLists.Read read = lists().pendingPayouts(EVERY_PAGE, renewed::incrementAndGet);

        assertThat(read.rewards()).extracting(r -> r.key().id()).containsExactly(1L, 2L, 3L);
        assertThat(read.pages()).isEqualTo(2);
        assertThat(renewed.get()).isEqualTo(2);
        // Only what a delivery is read from is kept: never the promoter's auth_token.
        assertThat(read.rewards().get(0).item().toString()).doesNotContain("secret-token").contains("p@example.org");
        assertThat(read.rewards().get(0).toString()).isEqualTo("payout 1 (credits)");
    }

    @Test
    void metaSayingTheLastPageEndsTheRead() throws Exception {
        String item = FirstPromoterStandIn.commission(5, "approved", "credits", 10, 7L, "p@example.org", null, null, null, null);
        FP.server().stubFor(get(urlPathEqualTo(FirstPromoterStandIn.COMMISSIONS)).willReturn(okJson(
                FirstPromoterStandIn.listWithMeta("{\"next_page\":null}", item))));

        FirstPromoterLists.Read read = lists().openCommissions(Instant.parse("2026-01-01T00:00:00Z"), EVERY_PAGE, () -> { });

        assertThat(read.pages()).isEqualTo(1);
        assertThat(read.rewards()).extracting(ListedReward::toString).containsExactly("commission 5 (credits)");
        assertThat(FP.requests(FirstPromoterStandIn.COMMISSIONS)).hasSize(1);
    }

    @Test
    void a429KeepsItsRetryAfterAndNoFailureNamesTheBody() {
        FP.server().stubFor(get(urlPathEqualTo("/api/v1/payouts/list")).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "120").withBody("{\"auth_token\":\"secret-token\"}")));

        assertThatThrownBy(() -> lists().pendingPayouts(EVERY_PAGE, () -> { }))
                .isInstanceOfSatisfying(FirstPromoterLists.Unavailable.class, u -> {
                    assertThat(u.retryAfter()).isEqualTo(Duration.ofSeconds(120));
                    assertThat(u.getMessage()).doesNotContain("secret-token");
                });

        FP.server().stubFor(get(urlPathEqualTo("/api/v1/payouts/list")).willReturn(aResponse().withStatus(500)
                .withBody(payouts(1))));
        assertThatThrownBy(() -> lists().pendingPayouts(EVERY_PAGE, () -> { }))
                .hasMessage("API v1's payouts list (page 1) answered 500");
    }

    @Test
    void aReadStopsAtThePageWhereItFoundWhatTheRunCanActOn() throws Exception {
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 20, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        Instant created = Instant.parse("2026-06-01T10:00:00Z");
        for (int i = 1; i <= 100; i++) {
            // Every fourth is cash: found, not counted (the run leaves cash it does not know).
            FP.addPayout(i, i % 4 == 0 ? "cash" : "credits", "20", created.plusSeconds(i), 7, "p@example.org", null);
        }

        FirstPromoterLists.Read read = lists().pendingPayouts(new FirstPromoterLists.Wanted(r -> !"cash".equals(r.unit()), 25), () -> { });

        // 15 counted on page 1, 30 by page 2: no third page asked.
        assertThat(read.pages()).isEqualTo(2);
        assertThat(read.whole()).isFalse();
        assertThat(read.rewards()).hasSize(40);
        assertThat(FP.listReads()).hasSize(2);

        FP.reset();
        FP.serveLists(FirstPromoterStandIn.V1Paging.PAGE_NUMBER, 20, FirstPromoterStandIn.ListShape.BARE_ARRAY);
        for (int i = 1; i <= 30; i++) {
            FP.addPayout(i, "credits", "20", created.plusSeconds(i), 7, "p@example.org", null);
        }
        FirstPromoterLists.Read all = lists().pendingPayouts(new FirstPromoterLists.Wanted(r -> true, 100), () -> { });
        assertThat(all.whole()).as("the list's end reached").isTrue();
        assertThat(all.rewards()).hasSize(30);
    }

    @Test
    void aRetryAfterDateOrNoneIsRead() {
        java.net.http.HttpHeaders none = java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true);
        assertThat(ListAnswers.retryAfter(none)).isEqualTo(Duration.ofSeconds(60));
        String inAMinute = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(90));
        java.net.http.HttpHeaders dated = java.net.http.HttpHeaders.of(java.util.Map.of("Retry-After", List.of(inAMinute)), (a, b) -> true);
        assertThat(ListAnswers.retryAfter(dated)).isBetween(Duration.ofSeconds(80), Duration.ofSeconds(91));
    }
}
