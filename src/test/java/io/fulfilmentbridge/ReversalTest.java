package io.fulfilmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.TextMessage;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jms.core.JmsTemplate;

/**
 * Contract 11 for legacy rewards: an operator's reversal through the bridge's MBean, as an operator
 * calls it (JMX), against the whole bridge with its real ledger and broker.
 */
class ReversalTest extends BridgeTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final String PAYOUTS = "payouts";

    @Autowired
    private JmsTemplate jms;

    @Autowired
    private CamelContext camel;

    @LocalManagementPort
    private int managementPort;

    @AfterEach
    void ledgerStillSumsToZero() {
        assertThat(jdbc.queryForObject("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries", BigDecimal.class))
                .isEqualByComparingTo("0");
        assertThat(jdbc.queryForList("SELECT fulfilment_id FROM ledger_entries GROUP BY fulfilment_id HAVING SUM(amount) <> 0"))
                .isEmpty();
    }

    private String reverse(String kind, long id, String reason) throws Exception {
        return (String) JMX.invoke(parkedFulfilmentsMBean(), "reverse", new Object[] {kind, id, reason},
                new String[] {String.class.getName(), "long", String.class.getName()});
    }

    private String[] parkedList() throws Exception {
        return (String[]) JMX.getAttribute(parkedFulfilmentsMBean(), "Parked");
    }

    /** The operators' table's row for this fulfilment and state, or null. */
    private CompositeData tableRow(long id, String state) throws Exception {
        TabularData table = (TabularData) JMX.getAttribute(parkedFulfilmentsMBean(), "ParkedTable");
        return table.get(new Object[] {"v1", state, id});
    }

    private List<Map<String, Object>> entries(long id) {
        return jdbc.queryForList("SELECT account_kind, account, unit, amount, entry_kind, source FROM ledger_entries "
                + "WHERE fulfilment_id = ? ORDER BY entry_kind, account_kind DESC", id);
    }

    private BigDecimal balance(String customerRef) {
        return jdbc.query("SELECT balance FROM credit_balances WHERE customer_ref = ? AND unit = 'credits'",
                rs -> rs.next() ? rs.getBigDecimal(1) : null, customerRef);
    }

    private Map<String, Object> record(long id) {
        return jdbc.queryForMap("SELECT state, reason, reversal_note FROM fulfilments WHERE fulfilment_id = ?", id);
    }

    private long granted(String account, String amount) {
        long id = nextId();
        HttpResponse<String> answer = post(delivery("credits.json", id, Map.of("promoter.cust_id", account, "amount", amount)));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return id;
    }

    // ---- Credits and points

    @Test
    void aCreditGrantIsReversedByTwoOppositeEntriesOnce() throws Exception {
        String account = "rev-" + nextId();
        long first = granted(account, "20");
        long second = granted(account, "5");
        assertThat(balance(account)).isEqualByComparingTo("25");

        String answer = reverse("v1", first, "refunded");
        assertThat(answer).startsWith("reversed: fulfilment " + first + " (credits)").contains("ledger entries");
        List<Map<String, Object>> entries = entries(first);
        assertThat(entries).hasSize(4);
        assertThat(entries.get(2)).containsEntry("account_kind", "PROMOTER").containsEntry("account", account)
                .containsEntry("entry_kind", "REVERSAL").containsEntry("source", "v1");
        assertThat((BigDecimal) entries.get(2).get("amount")).isEqualByComparingTo("-20");
        assertThat(entries.get(3)).containsEntry("account_kind", "FUNDING").containsEntry("account", "credits")
                .containsEntry("entry_kind", "REVERSAL");
        assertThat((BigDecimal) entries.get(3).get("amount")).isEqualByComparingTo("20");
        assertThat(entries.subList(0, 2)).allSatisfy(e -> assertThat(e).containsEntry("entry_kind", "GRANT").containsEntry("source", "v1"));
        assertThat(jdbc.queryForObject("SELECT SUM(amount) FROM ledger_entries WHERE fulfilment_id = ?", BigDecimal.class, first))
                .isEqualByComparingTo("0");
        assertThat(balance(account)).isEqualByComparingTo("5");
        // Credits reversed need no review: not listed; the operator's reason is kept with the record.
        assertThat(record(first)).containsEntry("state", "REVERSED").containsEntry("reason", null).containsEntry("reversal_note", "refunded");
        assertThat(parkedList()).noneSatisfy(line -> assertThat(line).startsWith("v1 " + first + " "));

        String again = reverse("v1", first, "refunded twice");
        assertThat(again).startsWith("refused: fulfilment " + first).contains("reversed before").contains("refunded")
                .contains("nothing changed");
        assertThat(entries(first)).hasSize(4);
        assertThat(record(first)).containsEntry("reversal_note", "refunded");
        assertThat(state(second)).isEqualTo("GRANTED");
    }

    @Test
    void aBalanceGoesBelowZeroWhenTheRewardWasSpent() throws Exception {
        String account = "spent-" + nextId();
        long grant = granted(account, "20");
        // The customer's application spent 15 of it: booked as its own pair, as the bridge does not spend.
        long spend = nextId();
        jdbc.update("INSERT INTO fulfilments (fulfilment_id, unit, amount, promoter_id, state, created_at, updated_at) "
                + "VALUES (?, 'credits', -15, 1, 'GRANTED', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", spend);
        jdbc.update("INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount) VALUES (?, 'PROMOTER', ?, 'credits', -15)",
                spend, account);
        jdbc.update("INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount) VALUES (?, 'FUNDING', 'credits', 'credits', 15)",
                spend);
        assertThat(balance(account)).isEqualByComparingTo("5");

        assertThat(reverse("v1", grant, "chargeback")).startsWith("reversed:");
        assertThat(balance(account)).isEqualByComparingTo("-15");
        assertThat(state(grant)).isEqualTo("REVERSED");
    }

    @Test
    void pointsAreReversedLikeCredits() throws Exception {
        long id = nextId();
        String account = "points-" + id;
        assertThat(post(delivery("credits.json", id, Map.of("promoter.cust_id", account, "unit", "points", "amount", 3))).statusCode())
                .isEqualTo(200);
        assertThat(reverse("v1", id, "refunded")).startsWith("reversed: fulfilment " + id + " (points)");
        assertThat(jdbc.queryForObject("SELECT balance FROM credit_balances WHERE customer_ref = ? AND unit = 'points'",
                BigDecimal.class, account)).isEqualByComparingTo("0");
    }

    @Test
    void twentyConcurrentReversalsReverseOnce() throws Exception {
        String account = "race-" + nextId();
        long id = granted(account, "7.5");
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch start = new CountDownLatch(1);
        List<String> answers = new ArrayList<>();
        try {
            List<Future<String>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    return reverse("v1", id, "refunded");
                }));
            }
            start.countDown();
            for (Future<String> call : calls) {
                answers.add(call.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(answers).filteredOn(a -> a.startsWith("reversed:")).hasSize(1);
        assertThat(answers).filteredOn(a -> a.startsWith("refused: fulfilment " + id) && a.contains("reversed before")).hasSize(19);
        assertThat(entries(id)).hasSize(4);
        assertThat(balance(account)).isEqualByComparingTo("0");
    }

    @Test
    void theLedgerKeyRefusesASecondReversalEntry() throws Exception {
        long id = granted("key-" + nextId(), "1");
        reverse("v1", id, "refunded");
        assertThatThrownBy(() -> jdbc.update("INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount, entry_kind) "
                + "VALUES (?, 'PROMOTER', 'x', 'credits', 0, 'REVERSAL')", id)).isInstanceOf(DuplicateKeyException.class);
    }

    @Test
    void aDeliveryAfterTheReversalIsListedNotApplied() throws Exception {
        long id = nextId();
        String account = "again-" + id;
        String delivery = delivery("credits.json", id, Map.of("promoter.cust_id", account));
        assertThat(post(delivery).statusCode()).isEqualTo(200);
        reverse("v1", id, "refunded");

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> answer = post(delivery);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
            assertThat(json(answer).get("outcome").asText()).isEqualTo("parked");
            assertThat(json(answer).get("detail").asText()).contains("was reversed").contains("not applied");
        }
        assertThat(entries(id)).hasSize(4);
        assertThat(balance(account)).isEqualByComparingTo("0");
        assertThat(state(id)).isEqualTo("REVERSED");
        assertThat(parkedList()).filteredOn(line -> line.startsWith("v1 " + id + " credits")).singleElement().asString()
                .contains("REVERSED").contains("delivered again after it was reversed").contains("(reversal: refunded)");
        // A replay takes only parked, failed or stuck fulfilments.
        JsonNode replayed = JSON.readTree((String) JMX.invoke(parkedFulfilmentsMBean(), "replay", new Object[] {id}, new String[] {"long"}));
        assertThat(replayed.get("outcome").asText()).isEqualTo("ignored");
        assertThat(entries(id)).hasSize(4);
    }

    // ---- Refusals

    @Test
    void whatWasNotAppliedIsNotReversed() throws Exception {
        long unknown = nextId();
        assertThat(reverse("v1", unknown, "refunded")).isEqualTo("refused: fulfilment " + unknown + " is unknown; nothing changed");
        assertThat(state(unknown)).isNull();

        long parked = nextId();
        assertThat(post(delivery("credits.json", parked, Map.of("amount", "0"))).statusCode()).isEqualTo(202);
        String parkedReason = (String) record(parked).get("reason");
        assertThat(reverse("v1", parked, "refunded")).startsWith("refused: fulfilment " + parked).contains("is parked, not applied");
        assertThat(record(parked)).containsEntry("state", "PARKED").containsEntry("reason", parkedReason).containsEntry("reversal_note", null);

        // A delivery applying it right now.
        long beingApplied = nextId();
        jdbc.update("INSERT INTO fulfilments (fulfilment_id, unit, amount, promoter_id, state, lease_holder, lease_until, created_at, updated_at) "
                + "VALUES (?, 'credits', 5, 1, 'RECEIVED', 'another', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                beingApplied, java.sql.Timestamp.from(java.time.Instant.now().plusSeconds(60)));
        assertThat(reverse("v1", beingApplied, "refunded")).contains("is being applied").contains("nothing changed");
        assertThat(state(beingApplied)).isEqualTo("RECEIVED");
        assertThat(entries(beingApplied)).isEmpty();
    }

    @Test
    void otherKindsAndMissingReasonsAreRefused() throws Exception {
        long id = granted("kinds-" + nextId(), "2");
        assertThat(reverse("legacy", id, "refunded")).startsWith("refused: kind 'legacy' is neither v1").contains("nothing changed");
        // A commission of the same number is another reward, which does not exist.
        assertThat(reverse("v2", id, "refunded")).isEqualTo("refused: fulfilment " + id + " is unknown; nothing changed");
        assertThat(reverse("", id, "refunded")).startsWith("refused: kind ''");
        assertThat(reverse(null, id, "refunded")).startsWith("refused: kind 'null'");
        assertThat(reverse("v1", id, " ")).startsWith("refused: give the reason");
        assertThat(reverse("v1", -1, "refunded")).startsWith("refused: a fulfilment id is positive");
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(entries(id)).hasSize(2);
    }

    // ---- Stripe rewards

    @Test
    void aFreeMonthsRewardIsListedForReviewAndStripeIsLeftAlone() throws Exception {
        long id = nextId();
        String customer = "cus_rev" + id;
        String subscription = "sub_rev" + id;
        STRIPE.stubGrantableCustomer(customer, subscription);
        String delivery = delivery("free-months.json", id, Map.of("promoter.cust_id", customer));
        // Sent again after a 503, as FirstPromoter would: a cold first Stripe call on a loaded machine can time out.
        int status = post(delivery).statusCode();
        for (int again = 0; status == 503 && again < 3; again++) {
            status = post(delivery).statusCode();
        }
        assertThat(status).isEqualTo(200);
        assertThat(grantsSentTo(subscription)).isEqualTo(1);
        int requestsBefore = STRIPE.server().getAllServeEvents().size();

        String answer = reverse("v1", id, "customer refunded");
        assertThat(answer).startsWith("reversed: fulfilment " + id + " (free_months)").contains("Stripe not changed");
        assertThat(record(id)).containsEntry("state", "REVERSED")
                .containsEntry("reason", "reversed by FirstPromoter after it was applied in Stripe: review the customer");
        assertThat(parkedList()).filteredOn(line -> line.startsWith("v1 " + id + " free_months")).singleElement().asString()
                .contains("REVERSED").endsWith(": reversed by FirstPromoter after it was applied in Stripe: review the customer"
                        + " (reversal: customer refunded)");
        assertThat(tableRow(id, "REVERSED").get("reason"))
                .isEqualTo("reversed by FirstPromoter after it was applied in Stripe: review the customer (reversal: customer refunded)");

        HttpResponse<String> again = post(delivery);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(json(again).get("outcome").asText()).isEqualTo("parked");
        assertThat(STRIPE.server().getAllServeEvents()).hasSize(requestsBefore);
        assertThat(grantsSentTo(subscription)).isEqualTo(1);
        assertThat(tableRow(id, "REVERSED").get("reason").toString()).startsWith("delivered again after it was reversed")
                .contains("review the customer");
    }

    @Test
    void aReviewedReversalIsDismissedAndStaysReversed() throws Exception {
        long id = nextId();
        String customer = "cus_dis" + id;
        STRIPE.stubGrantableCustomer(customer, "sub_dis" + id);
        String delivery = delivery("free-months.json", id, Map.of("promoter.cust_id", customer));
        int status = post(delivery).statusCode();
        for (int again = 0; status == 503 && again < 3; again++) {
            status = post(delivery).statusCode();
        }
        assertThat(status).isEqualTo(200);
        assertThat(reverse("v1", id, "customer refunded")).startsWith("reversed:");
        assertThat(tableRow(id, "REVERSED")).isNotNull();

        assertThat(dismissReversal("v2", id)).isEqualTo("refused: fulfilment " + id + " is no reversed reward listed for review; nothing changed");
        assertThat(dismissReversal("legacy", id)).startsWith("refused: kind 'legacy' is neither v1");
        assertThat(tableRow(id, "REVERSED")).isNotNull();
        assertThat(dismissReversal("v1", id)).startsWith("dismissed: fulfilment " + id);

        assertThat(tableRow(id, "REVERSED")).isNull();
        assertThat(parkedList()).noneMatch(line -> line.startsWith("v1 " + id + " "));
        assertThat(record(id)).containsEntry("state", "REVERSED").containsEntry("reversal_note", "customer refunded");
        assertThat(dismissReversal("v1", id)).startsWith("refused: fulfilment " + id + " is no reversed reward listed");
        long granted = granted("dis-" + id, "3");
        assertThat(dismissReversal("v1", granted)).startsWith("refused:");
        assertThat(state(granted)).isEqualTo("GRANTED");
    }

    private String dismissReversal(String kind, long id) throws Exception {
        return (String) JMX.invoke(parkedFulfilmentsMBean(), "dismissReversal", new Object[] {kind, id},
                new String[] {String.class.getName(), "long"});
    }

    private int grantsSentTo(String subscriptionId) {
        return STRIPE.server().findAll(postRequestedFor(urlPathEqualTo("/v1/subscriptions/" + subscriptionId))).size();
    }

    // ---- Cash

    @Test
    void aPayoutStillInTheOutboxIsWithdrawnAndNeverSent() throws Exception {
        long id = nextId();
        camel.getRouteController().suspendRoute("payout-relay");
        try {
            assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
            assertThat(outboxRows(id)).isEqualTo(1);
            String answer = reverse("v1", id, "fraud");
            assertThat(answer).startsWith("reversed: fulfilment " + id + " (cash)").contains("withdrawn from the outbox");
            assertThat(outboxRows(id)).isZero();
        } finally {
            camel.getRouteController().resumeRoute("payout-relay");
        }
        assertThat(record(id)).containsEntry("state", "REVERSED").containsEntry("reason", null).containsEntry("reversal_note", "fraud");
        assertThat(payoutAttempts(id, Duration.ofSeconds(2))).isEmpty();
        assertThat(parkedList()).noneSatisfy(line -> assertThat(line).startsWith("v1 " + id + " "));
    }

    @Test
    void aPayoutAlreadySentIsListedAndItsPaidResultIsAnAnomaly() throws Exception {
        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
        await().atMost(Duration.ofSeconds(10)).until(() -> outboxRows(id) == 0);
        assertThat(payoutAttempts(id, Duration.ofSeconds(5))).containsExactly(1);

        String answer = reverse("v1", id, "fraud");
        assertThat(answer).startsWith("reversed: fulfilment " + id + " (cash)").contains("sent already")
                .contains("reversed after the payout was queued");
        assertThat(record(id)).containsEntry("state", "REVERSED").containsEntry("reason", "reversed after the payout was queued");
        assertThat(tableRow(id, "REVERSED").get("reason")).isEqualTo("reversed after the payout was queued (reversal: fraud)");

        double before = anomalies("paid_after_reversal");
        jms.convertAndSend("payouts.results", "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"status\":\"paid\",\"reference\":\"tr_late\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> tableRow(id, "PAYOUT_ANOMALY") != null);
        assertThat(tableRow(id, "PAYOUT_ANOMALY").get("reason").toString()).contains("paid after the fulfilment was reversed")
                .contains("tr_late");
        assertThat(jdbc.queryForObject("SELECT kind FROM payout_anomalies WHERE fulfilment_id = ?", String.class, id))
                .isEqualTo("paid_after_reversal");
        assertThat(anomalies("paid_after_reversal")).isEqualTo(before + 1);
        assertThat(state(id)).isEqualTo("REVERSED");
        assertThat(jdbc.queryForObject("SELECT firstpromoter_notice FROM fulfilments WHERE fulfilment_id = ?", String.class, id)).isNull();
    }

    @Test
    void aReversalRacingTheRelayEitherWithdrawsThePayoutOrFindsItSent() throws Exception {
        List<Long> ids = new ArrayList<>();
        Map<Long, String> answers = new java.util.HashMap<>();
        for (int i = 0; i < 10; i++) {
            long id = nextId();
            ids.add(id);
            assertThat(json(post(delivery("cash.json", id, Map.of()))).get("outcome").asText()).isEqualTo("queued");
            Thread.sleep(i * 15L);
            answers.put(id, reverse("v1", id, "race"));
        }
        Map<Long, List<Integer>> sent = payoutAttempts(ids, Duration.ofSeconds(3));
        for (long id : ids) {
            String answer = answers.get(id);
            if (answer.contains("withdrawn from the outbox")) {
                assertThat(sent.get(id)).as(answer).isNull();
                assertThat(record(id).get("reason")).isNull();
            } else {
                assertThat(answer).contains("sent already");
                assertThat(sent.get(id)).as(answer).containsExactly(1);
                assertThat(record(id).get("reason")).isEqualTo("reversed after the payout was queued");
            }
            assertThat(state(id)).isEqualTo("REVERSED");
        }
    }

    private int outboxRows(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox WHERE fulfilment_id = ?", Integer.class, id);
    }

    private List<Integer> payoutAttempts(long id, Duration listen) throws Exception {
        return payoutAttempts(List.of(id), listen).getOrDefault(id, List.of());
    }

    /** The attempts of the payout messages for these fulfilments that reach the payout queue while listening. */
    private Map<Long, List<Integer>> payoutAttempts(Collection<Long> ids, Duration listen) {
        return jms.execute(session -> {
            Map<Long, List<Integer>> got = new java.util.HashMap<>();
            long end = System.nanoTime() + listen.toNanos();
            try (MessageConsumer consumer = session.createConsumer(session.createQueue(PAYOUTS))) {
                while (System.nanoTime() < end) {
                    Message message = consumer.receive(100);
                    if (message instanceof TextMessage text) {
                        try {
                            JsonNode payout = JSON.readTree(text.getText());
                            long id = payout.path("fulfilment_id").asLong();
                            if (ids.contains(id)) {
                                got.computeIfAbsent(id, k -> new ArrayList<>()).add(payout.path("attempt").asInt());
                            }
                        } catch (java.io.IOException notJson) {
                            // Another test's message.
                        }
                    }
                }
            }
            if (session.getTransacted()) {
                session.commit();
            }
            return got;
        }, true);
    }

    /** bridge_payout_anomalies_total{kind} as /actuator/prometheus shows it. */
    private double anomalies(String kind) {
        String scrape = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).GET()).body();
        Matcher m = Pattern.compile("^bridge_payout_anomalies_total\\{kind=\"" + kind + "\"[^}]*\\} ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(scrape);
        assertThat(m.find()).as("bridge_payout_anomalies_total{kind=%s} is exported", kind).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
