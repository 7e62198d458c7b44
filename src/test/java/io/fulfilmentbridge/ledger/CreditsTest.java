package io.fulfilmentbridge.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.BridgeTest;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.camel.CamelContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Credits and points: double entry in the ledger, exactly once, bounds parked. */
class CreditsTest extends BridgeTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();

    @Autowired
    private CamelContext camel;

    @Autowired
    private io.micrometer.core.instrument.MeterRegistry meters;

    @AfterEach
    void ledgerStillSumsToZero() {
        assertThat(jdbc.queryForObject("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries", BigDecimal.class))
                .isEqualByComparingTo("0");
        assertThat(jdbc.queryForList(
                "SELECT fulfilment_id FROM ledger_entries GROUP BY fulfilment_id, entry_kind HAVING SUM(amount) <> 0 OR COUNT(*) <> 2"))
                .isEmpty();
    }

    private List<Map<String, Object>> entries(long id) {
        return jdbc.queryForList("SELECT account_kind, account, unit, amount FROM ledger_entries WHERE fulfilment_id = ? "
                + "ORDER BY account_kind DESC", id);
    }

    private BigDecimal balance(String customerRef, String unit) {
        return jdbc.query("SELECT balance FROM credit_balances WHERE customer_ref = ? AND unit = ?",
                rs -> rs.next() ? rs.getBigDecimal(1) : null, customerRef, unit);
    }

    @Test
    void creditsSampleIsOneTransactionOfTwoEntries() {
        long id = nextId();
        String custId = "cust-" + id;
        HttpResponse<String> response = post(delivery("credits.json", id, Map.of("promoter.cust_id", custId)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(json(response).get("outcome").asText()).isEqualTo("granted");
        List<Map<String, Object>> entries = entries(id);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0)).containsEntry("account_kind", "PROMOTER").containsEntry("account", custId)
                .containsEntry("unit", "credits");
        assertThat((BigDecimal) entries.get(0).get("amount")).isEqualByComparingTo("20");
        assertThat(entries.get(1)).containsEntry("account_kind", "FUNDING").containsEntry("unit", "credits");
        assertThat((BigDecimal) entries.get(1).get("amount")).isEqualByComparingTo("-20");
        assertThat(balance(custId, "credits")).isEqualByComparingTo("20");
        assertThat(state(id)).isEqualTo("GRANTED");
        Map<String, Object> record = jdbc.queryForMap("SELECT event_id, unit, amount, received_status, promoter_id FROM fulfilments WHERE fulfilment_id = ?", id);
        assertThat(record).containsEntry("event_id", "5368").containsEntry("unit", "credits").containsEntry("received_status", "pending");
        assertThat(((Number) record.get("promoter_id")).longValue()).isEqualTo(235L);
    }

    @Test
    void balancesAddUpPerCustomerAndUnit() {
        String custId = "stacking-" + nextId();
        post(delivery("credits.json", nextId(), Map.of("promoter.cust_id", custId, "amount", "12.5")));
        post(delivery("credits.json", nextId(), Map.of("promoter.cust_id", custId, "amount", 7.25)));
        post(delivery("credits.json", nextId(), Map.of("promoter.cust_id", custId, "unit", "points", "amount", 3)));
        assertThat(balance(custId, "credits")).isEqualByComparingTo("19.75");
        assertThat(balance(custId, "points")).isEqualByComparingTo("3");
    }

    @Test
    void withoutCustIdThePromoterHasItsOwnAccount() {
        long promoterId = nextId();
        Map<String, Object> empty = new HashMap<>(Map.of("promoter.cust_id", "", "promoter.id", promoterId));
        Map<String, Object> nullId = new HashMap<>(Map.of("promoter.id", String.valueOf(promoterId)));
        nullId.put("promoter.cust_id", null);
        assertThat(post(delivery("credits.json", nextId(), empty)).statusCode()).isEqualTo(200);
        assertThat(post(delivery("credits.json", nextId(), nullId)).statusCode()).isEqualTo(200);
        String body = delivery("credits.json", nextId(), Map.of("promoter.id", promoterId)).replace("\"cust_id\":\"23452\",", "");
        assertThat(body).doesNotContain("cust_id");
        assertThat(post(body).statusCode()).isEqualTo(200);
        assertThat(balance("fp-promoter:" + promoterId, "credits")).isEqualByComparingTo("60");
    }

    @Test
    void aNonAsciiCustIdIsKeptExactlyWhateverThePlatformCharset() {
        long id = nextId();
        String custId = "Jos\u00e9-\u2713-\u202eevil\u202c-" + id;
        HttpResponse<String> response = post(delivery("credits.json", id, Map.of("promoter.cust_id", custId)));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("detail").asText()).endsWith(custId);
        assertThat(entries(id).get(0)).containsEntry("account", custId);
    }

    @Test
    void aCustIdNamingAFundingAccountStaysAPromoterAccount() {
        long id = nextId();
        post(delivery("credits.json", id, Map.of("promoter.cust_id", "credits")));
        assertThat(entries(id)).extracting(e -> e.get("account_kind") + ":" + e.get("account"))
                .containsExactly("PROMOTER:credits", "FUNDING:credits");
        assertThat(jdbc.queryForList("SELECT customer_ref FROM credit_balances WHERE customer_ref = 'credits'")).hasSize(1);
        assertThat(balance("credits", "credits")).isEqualByComparingTo("20");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "1000000000000", "100000.0001", "1.00005"})
    void amountsOutOfBoundsAreParkedAndBookNothing(String amount) {
        long id = nextId();
        HttpResponse<String> response = post(delivery("credits.json", id, Map.of("amount", new BigDecimal(amount))));
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response).get("outcome").asText()).isEqualTo("parked");
        assertThat(json(response).get("detail").asText()).contains("amount out of bounds");
        assertThat(entries(id)).isEmpty();
        assertThat(state(id)).isEqualTo("PARKED");
    }

    @Test
    void theBoundsAreInclusive() {
        assertThat(post(delivery("credits.json", nextId(), Map.of("amount", 100000))).statusCode()).isEqualTo(200);
        assertThat(post(delivery("credits.json", nextId(), Map.of("amount", "0.0001"))).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownUnitIsParked() {
        long id = nextId();
        HttpResponse<String> response = post(delivery("credits.json", id, Map.of("unit", "gift_cards")));
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response).get("detail").asText()).contains("unknown unit");
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(jdbc.queryForObject("SELECT reason FROM fulfilments WHERE fulfilment_id = ?", String.class, id))
                .contains("gift_cards");
    }

    @Test
    void aParkedFulfilmentIsEvaluatedAfreshOnTheNextDelivery() {
        long id = nextId();
        assertThat(post(delivery("credits.json", id, Map.of("amount", 0))).statusCode()).isEqualTo(202);
        HttpResponse<String> second = post(delivery("credits.json", id, Map.of("amount", 15)));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(entries(id)).hasSize(2);
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aFailureBetweenTheTwoEntriesBooksNothingAndTheRetryGrantsOnce() {
        long id = nextId();
        failFundingEntryOf(id);
        String body = delivery("credits.json", id, Map.of());
        try {
            HttpResponse<String> failed = post(body);
            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(json(failed).get("outcome").asText()).isEqualTo("retry");
            assertThat(entries(id)).isEmpty();
            // A first delivery's record commits with its entries: neither is there.
            assertThat(state(id)).isNull();
        } finally {
            stopFailingFundingEntries();
        }
        HttpResponse<String> retried = post(body);
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(entries(id)).hasSize(2);
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    /** A trigger that fails the second entry of one fulfilment, as a crash between the two would. */
    private void failFundingEntryOf(long id) {
        if (isPostgres()) {
            jdbc.execute("CREATE FUNCTION fail_funding_entry() RETURNS trigger AS $$ BEGIN "
                    + "IF NEW.fulfilment_id = " + id + " AND NEW.account_kind = 'FUNDING' THEN "
                    + "RAISE EXCEPTION 'injected failure between the two ledger entries'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
            jdbc.execute("CREATE TRIGGER fail_funding_entry BEFORE INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION fail_funding_entry()");
        } else {
            FailFundingEntry.failingFulfilmentId = id;
            jdbc.execute("CREATE TRIGGER fail_funding_entry BEFORE INSERT ON ledger_entries FOR EACH ROW CALL \""
                    + FailFundingEntry.class.getName() + "\"");
        }
    }

    private void stopFailingFundingEntries() {
        if (isPostgres()) {
            jdbc.execute("DROP TRIGGER fail_funding_entry ON ledger_entries");
            jdbc.execute("DROP FUNCTION fail_funding_entry()");
        } else {
            jdbc.execute("DROP TRIGGER fail_funding_entry");
        }
    }

    private boolean isPostgres() {
        return Boolean.TRUE.equals(jdbc.execute((java.sql.Connection c) -> c.getMetaData().getDatabaseProductName().equals("PostgreSQL")));
    }

    @Test
    void oneGrantFailingInABatchFailsOnlyItself() throws Exception {
        List<Long> ids = LongStream.range(0, 30).map(i -> nextId()).boxed().toList();
        long failing = ids.get(7);
        failFundingEntryOf(failing);
        List<Integer> statuses;
        try {
            statuses = postAtOnce(credits(ids),
                    HttpResponse::statusCode);
        } finally {
            stopFailingFundingEntries();
        }
        for (int i = 0; i < ids.size(); i++) {
            long id = ids.get(i);
            if (id == failing) {
                assertThat(statuses.get(i)).isEqualTo(503);
                assertThat(entries(id)).isEmpty();
                assertThat(state(id)).isNull();
            } else {
                assertThat(statuses.get(i)).isEqualTo(200);
                assertThat(entries(id)).hasSize(2);
                assertThat(state(id)).isEqualTo("GRANTED");
            }
        }
    }

    @Test
    void grantsWaitingForTheLedgerCommitTogether() throws Exception {
        String context = camel.getManagementName();
        ObjectName webhook = new ObjectName("org.apache.camel:context=" + context + ",type=routes,name=\"fulfilment-webhook\"");
        long batchesBefore = firstGrantBatches();
        List<Long> ids = LongStream.range(0, 30).map(i -> nextId()).boxed().toList();
        List<Integer> statuses;
        try (HeldLedger held = holdLedger()) {
            ExecutorService sender = Executors.newSingleThreadExecutor();
            Future<List<Integer>> answers = sender.submit(() -> postAtOnce(
                    credits(ids), HttpResponse::statusCode));
            // All 30 in flight: at most two batches are held inside their commit, the others wait for the ledger.
            await(() -> {
                try {
                    return ((Number) JMX.getAttribute(webhook, "ExchangesInflight")).intValue() == ids.size();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Nothing is visible before its ledger entries commit: record and entries are one transaction.
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE fulfilment_id IN ("
                    + ids.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")", Integer.class)).isZero();
            held.letGo();
            statuses = answers.get(30, TimeUnit.SECONDS);
            sender.shutdown();
        }
        assertThat(statuses).containsOnly(200);
        assertThat(ids).allSatisfy(id -> {
            assertThat(entries(id)).hasSize(2);
            assertThat(state(id)).isEqualTo("GRANTED");
        });
        // The held commits, then the ones that waited in at most two more.
        assertThat(firstGrantBatches() - batchesBefore).isBetween(2L, 4L);
        assertThat(meters.get("bridge.group.commit.batch.size").tag("writes", "first-grants").summary().max()).isGreaterThanOrEqualTo(14);
    }

    /** The transactions of first-time grants committed so far: one per batch. */
    private long firstGrantBatches() {
        return meters.get("bridge.group.commit.batch.size").tag("writes", "first-grants").summary().count();
    }

    private static List<String> credits(List<Long> ids) {
        return ids.stream().map(id -> delivery("credits.json", id, Map.of())).toList();
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.currentTimeMillis() + 20_000;
        while (!condition.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as("waited 20 s").isLessThan(until);
            Thread.sleep(20);
        }
    }

    /** Holds every ledger insert until closed: on PostgreSQL behind an advisory lock, on H2 behind a latch. */
    private HeldLedger holdLedger() {
        if (isPostgres()) {
            java.sql.Connection holder = org.springframework.jdbc.datasource.DataSourceUtils.getConnection(jdbc.getDataSource());
            jdbc.execute("CREATE FUNCTION hold_ledger() RETURNS trigger AS $$ BEGIN "
                    + "PERFORM pg_advisory_xact_lock_shared(4242); RETURN NEW; END $$ LANGUAGE plpgsql");
            jdbc.execute("CREATE TRIGGER hold_ledger BEFORE INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION hold_ledger()");
            execute(holder, "SELECT pg_advisory_lock(4242)");
            return new HeldLedger(() -> {
                execute(holder, "SELECT pg_advisory_unlock(4242)");
                org.springframework.jdbc.datasource.DataSourceUtils.releaseConnection(holder, jdbc.getDataSource());
            }, () -> {
                jdbc.execute("DROP TRIGGER hold_ledger ON ledger_entries");
                jdbc.execute("DROP FUNCTION hold_ledger()");
            });
        }
        java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);
        HoldLedger.held = latch;
        jdbc.execute("CREATE TRIGGER hold_ledger BEFORE INSERT ON ledger_entries FOR EACH ROW CALL \""
                + HoldLedger.class.getName() + "\"");
        return new HeldLedger(latch::countDown, () -> jdbc.execute("DROP TRIGGER hold_ledger"));
    }

    private static void execute(java.sql.Connection connection, String sql) {
        try (java.sql.Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lets go of the ledger (once), and removes the trigger when closed. */
    private static final class HeldLedger implements AutoCloseable {
        private final Runnable release;
        private final Runnable remove;
        private boolean released;

        HeldLedger(Runnable release, Runnable remove) {
            this.release = release;
            this.remove = remove;
        }

        void letGo() {
            if (!released) {
                released = true;
                release.run();
            }
        }

        @Override
        public void close() {
            letGo();
            remove.run();
        }
    }

    @Test
    void theSameDeliveryFiveTimesIsGrantedOnce() {
        long id = nextId();
        String body = delivery("credits.json", id, Map.of());
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = post(body);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(json(response).get("detail").asText()).contains(i == 0 ? "credited" : "granted before");
        }
        assertThat(entries(id)).hasSize(2);
    }

    @Test
    void twentyConcurrentDeliveriesGrantOnceAndNo200BeforeTheCommit() throws Exception {
        long id = nextId();
        List<int[]> answers = postAtOnce(delivery("credits.json", id, Map.of()), 20, response -> new int[] {
                response.statusCode(),
                // What a 200 promises must already be committed when it arrives.
                jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE fulfilment_id = ?", Integer.class, id)});
        assertThat(answers).allSatisfy(a -> assertThat(a[0]).isIn(200, 503));
        assertThat(answers).filteredOn(a -> a[0] == 200).isNotEmpty().allSatisfy(a -> assertThat(a[1]).isEqualTo(2));
        assertThat(entries(id)).hasSize(2);
    }
}
