package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;

/**
 * Contract 7: a RECEIVED fulfilment whose lease ran out over bridge.stuck-after (1 h) ago is listed as
 * stuck with its age, counted in the parked gauges, and replayed exactly once; a live lease never is.
 */
class StuckFulfilmentsTest extends BridgeTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final String STUCK_REASON = "stuck: the delivery applying it stopped (crashed, or answered 503 and not sent again)";

    @LocalManagementPort
    private int managementPort;

    /** The row a delivery that claimed this credits fulfilment and then crashed leaves, its lease run out this long ago. */
    private void crashedCreditsClaim(long id, String amount, Duration leaseRanOutAgo, String leaseHolder) {
        Instant leaseUntil = Instant.now().minus(leaseRanOutAgo);
        Timestamp claimedAt = Timestamp.from(leaseUntil.minusSeconds(15));
        jdbc.update("""
                INSERT INTO fulfilments (fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref,
                    received_status, state, lease_holder, lease_until, created_at, updated_at)
                VALUES (?, 'evt-stuck', 'credits', ?, ?, 236, ?, 'pending', 'RECEIVED', ?, ?, ?, ?)""",
                id, new BigDecimal(amount), amount, "cust-stuck-" + id, leaseHolder, Timestamp.from(leaseUntil), claimedAt, claimedAt);
    }

    private String replay(long id) throws Exception {
        return (String) JMX.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {id}, new String[] {"long"});
    }

    private String[] parkedLines() throws Exception {
        return (String[]) JMX.getAttribute(parkedFulfilmentsMBean(), "Parked");
    }

    private TabularData parkedTable() throws Exception {
        return (TabularData) JMX.getAttribute(parkedFulfilmentsMBean(), "ParkedTable");
    }

    private double gauge(String series) {
        String scrape = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).GET()).body();
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        assertThat(m.find()).as(series + " in the scrape").isTrue();
        return Double.parseDouble(m.group(1));
    }

    private List<Map<String, Object>> ledgerEntries(long id) {
        return jdbc.queryForList("SELECT account_kind, account, unit, amount FROM ledger_entries WHERE fulfilment_id = ? ORDER BY account_kind", id);
    }

    @Test
    void aStuckCreditsFulfilmentIsListedWithItsAgeCountedAndReplayedExactlyOnce() throws Exception {
        long id = nextId();
        double parkedBefore = gauge("bridge_fulfilments_parked");
        crashedCreditsClaim(id, "12.5", Duration.ofHours(2), "crashed-delivery");

        assertThat(parkedLines()).anySatisfy(line -> assertThat(line)
                .startsWith("v1 " + id + " credits 12.5 stuck since ").contains(" (120 min): " + STUCK_REASON));
        CompositeData row = parkedTable().get(new Object[] {"v1", "stuck", id});
        assertThat(row).isNotNull();
        assertThat(row.get("id")).isEqualTo(id);
        assertThat(row.get("unit")).isEqualTo("credits");
        assertThat(row.get("amount")).isEqualTo("12.5");
        assertThat(row.get("state")).isEqualTo("stuck");
        assertThat(((Date) row.get("since")).toInstant()).isBetween(Instant.now().minusSeconds(7260), Instant.now().minusSeconds(7140));
        assertThat((Long) row.get("ageSeconds")).isBetween(7140L, 7260L);
        assertThat(row.get("reason")).isEqualTo(STUCK_REASON);
        assertThat(gauge("bridge_fulfilments_parked") - parkedBefore).isEqualTo(1);
        assertThat(gauge("bridge_fulfilments_parked_oldest_age_seconds")).isGreaterThanOrEqualTo(7140);

        // Four operators replay it at the same moment: it is granted once.
        List<String> outcomes = atOnce(4, () -> JSON.readTree(replay(id)).get("outcome").asText());
        assertThat(outcomes).containsOnlyOnce("granted").containsOnly("granted", "ignored");
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(ledgerEntries(id)).extracting(e -> e.get("account_kind") + " " + e.get("account") + " "
                        + ((BigDecimal) e.get("amount")).stripTrailingZeros().toPlainString())
                .containsExactly("FUNDING credits -12.5", "PROMOTER cust-stuck-" + id + " 12.5");

        JsonNode again = JSON.readTree(replay(id));
        assertThat(again.get("outcome").asText()).isEqualTo("ignored");
        assertThat(ledgerEntries(id)).hasSize(2);
        assertThat(parkedLines()).noneSatisfy(line -> assertThat(line).startsWith("v1 " + id + " "));
        assertThat(parkedTable().get(new Object[] {"v1", "stuck", id})).isNull();
        assertThat(gauge("bridge_fulfilments_parked")).isEqualTo(parkedBefore);
    }

    @Test
    void replayNeverTakesALiveLeaseNorOneThatRanOutWithinStuckAfter() throws Exception {
        long live = nextId();
        long recent = nextId();
        double parkedBefore = gauge("bridge_fulfilments_parked");
        // A delivery holds this one for another hour; the other's lease ran out a minute ago, within stuck-after.
        crashedCreditsClaim(live, "3", Duration.ofHours(-1), "live-delivery");
        crashedCreditsClaim(recent, "4", Duration.ofMinutes(1), "delivery-answered-503");

        for (long id : List.of(live, recent)) {
            JsonNode answer = JSON.readTree(replay(id));
            assertThat(answer.get("outcome").asText()).isEqualTo("ignored");
            assertThat(answer.get("detail").asText()).contains("RECEIVED").contains("only parked, failed or stuck ones are replayed");
            assertThat(state(id)).isEqualTo("RECEIVED");
            assertThat(ledgerEntries(id)).isEmpty();
            assertThat(parkedLines()).noneSatisfy(line -> assertThat(line).startsWith("v1 " + id + " "));
            assertThat(parkedTable().get(new Object[] {"v1", "stuck", id})).isNull();
        }
        assertThat(jdbc.queryForObject("SELECT lease_holder FROM fulfilments WHERE fulfilment_id = ?", String.class, live))
                .isEqualTo("live-delivery");
        assertThat(gauge("bridge_fulfilments_parked")).isEqualTo(parkedBefore);
    }

    @Test
    void aFreeMonthsDeliveryAnswered503AndNeverSentAgainIsReplayedOnce() throws Exception {
        long id = nextId();
        String customer = "cus_stuck" + id;
        String subscription = "sub_stuck" + id;
        STRIPE.stubError("GET", "/v1/customers/" + customer, 500, "Stripe is down for test " + id);
        HttpResponse<String> answered = post(delivery("free-months.json", id, Map.of("promoter.cust_id", customer)));
        assertThat(answered.statusCode()).isEqualTo(503);
        assertThat(state(id)).isEqualTo("RECEIVED");
        // FirstPromoter gave up: the lease the 503 released ran out over an hour ago.
        jdbc.update("UPDATE fulfilments SET lease_until = ? WHERE fulfilment_id = ?", Timestamp.from(Instant.now().minus(Duration.ofMinutes(61))), id);
        CompositeData row = parkedTable().get(new Object[] {"v1", "stuck", id});
        assertThat(row).isNotNull();
        assertThat(row.get("unit")).isEqualTo("free_months");
        assertThat(row.get("amount")).isEqualTo("2");

        STRIPE.reset();
        STRIPE.stubGrantableCustomer(customer, subscription);
        assertThat(JSON.readTree(replay(id)).get("outcome").asText()).isEqualTo("granted");
        assertThat(JSON.readTree(replay(id)).get("outcome").asText()).isEqualTo("ignored");
        assertThat(STRIPE.server().findAll(postRequestedFor(urlPathEqualTo("/v1/subscriptions/" + subscription)))).hasSize(1);
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void theParkedTableReadsThroughThePlatformMBeanServerWithTheAmountAsReceived() throws Exception {
        long id = nextId();
        HttpResponse<String> parked = post(delivery("credits.json", id, Map.of("amount", "0.00001")));
        assertThat(parked.statusCode()).isEqualTo(202);

        TabularData table = parkedTable();
        assertThat(table.getTabularType().getRowType().keySet())
                .containsExactlyInAnyOrder("source", "id", "unit", "amount", "state", "since", "ageSeconds", "reason");
        assertThat(table.getTabularType().getIndexNames()).containsExactly("source", "state", "id");
        CompositeData row = table.get(new Object[] {"v1", "PARKED", id});
        assertThat(row).isNotNull();
        assertThat(row.get("id")).isEqualTo(id);
        assertThat(row.get("unit")).isEqualTo("credits");
        assertThat(row.get("amount")).isEqualTo("0.00001");
        assertThat(row.get("state")).isEqualTo("PARKED");
        assertThat(((Date) row.get("since")).toInstant()).isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(1));
        assertThat((Long) row.get("ageSeconds")).isBetween(0L, 60L);
        assertThat(row.get("reason")).isEqualTo("amount out of bounds: credits take at most 4 decimals");
        // The string list is kept as it was: the amount as the column holds it.
        assertThat(parkedLines()).anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " credits 0.00001000 PARKED since ")
                .endsWith(": amount out of bounds: credits take at most 4 decimals"));
    }

    @Test
    void replayAllWithTheStuckReasonReplaysEveryStuckFulfilmentOnce() throws Exception {
        List<Long> ids = List.of(nextId(), nextId());
        ids.forEach(id -> crashedCreditsClaim(id, "1", Duration.ofHours(3), "crashed-delivery"));
        String summary = (String) JMX.invoke(parkedFulfilmentsMBean(), "replayAllWithReason",
                new Object[] {STUCK_REASON}, new String[] {String.class.getName()});
        assertThat(summary).contains("granted=");
        ids.forEach(id -> {
            assertThat(state(id)).isEqualTo("GRANTED");
            assertThat(ledgerEntries(id)).hasSize(2);
        });
    }

    private static <T> List<T> atOnce(int n, Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
