package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.RealRecords;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.RewardLimits;
import io.fulfilmentbridge.payout.CashPayouts;
import io.fulfilmentbridge.payout.PayoutMessages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.language.bean.RuntimeBeanExpressionException;
import org.apache.camel.spi.Registry;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Route cash-payout, on an in-memory H2 database with the bridge's migrations, the real record keepers
 * (RealRecords) and the real cashPayouts bean: the route hands the fulfilment, the claim (null for a
 * delivery) and the deadline to cashPayouts.queue and keeps its answer; the QUEUED state and the payout's
 * outbox row commit together, or neither does.
 */
class CashPayoutRouteTest extends RouteTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DriverManagerDataSource database = new DriverManagerDataSource("jdbc:h2:mem:cash-" + UUID.randomUUID()
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
    private final JdbcTemplate jdbc = new JdbcTemplate(database);
    private final TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(database));
    private final RealRecords realRecords = RealRecords.on(jdbc, transaction, meters, SETTINGS);

    @Override
    protected List<String> routeFiles() {
        return List.of("cash-payout.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        // classpath: the SQL migrations and the Java ones (V8, V9) in package db.migration.
        Flyway.configure().dataSource(database).locations("classpath:db/migration").load().migrate();
        realRecords.bindTo(registry);
        registry.bind("cashPayouts", new CashPayouts(new RewardLimits(SETTINGS), realRecords.claims(), realRecords.lifecycle(),
                new PayoutMessages(CASH), jdbc, transaction, io.fulfilmentbridge.tracing.Spans.off()));
    }

    @BeforeEach
    void start() {
        context.start();
    }

    @Test
    void aClaimedPayoutIsQueuedWithItsOutboxRow() throws Exception {
        Fulfilment reward = fulfilment(92, "cash", "1500");
        Claim claim = realRecords.claims().claim(reward, deadline);

        Exchange done = template.send("direct:cash-payout", delivery(reward, claim));

        assertNull(done.getException());
        assertEquals(Answer.queued(reward, claim), done.getProperty("answer"));
        assertEquals(Outcome.QUEUED, done.getProperty("answer", Answer.class).outcome());
        assertEquals(Map.of("state", "QUEUED", "attempt", claim.attempt()), fulfilmentRow(92));
        List<Map<String, Object>> outbox = jdbc.queryForList("SELECT fulfilment_id, attempt, message FROM payout_outbox");
        assertEquals(1, outbox.size());
        assertEquals(92L, ((Number) outbox.get(0).get("fulfilment_id")).longValue());
        assertEquals(claim.attempt(), outbox.get(0).get("attempt"));
        JsonNode message = JSON.readTree((String) outbox.get(0).get("message"));
        assertEquals(92, message.get("fulfilment_id").asLong());
        assertEquals(claim.attempt(), message.get("attempt").asInt());
        assertEquals(7, message.get("promoter_id").asLong());
        assertEquals("cus_92", message.get("cust_id").asText());
        assertEquals("promoter92@example.com", message.get("email").asText());
        assertEquals(1500, message.get("amount_cents").asLong());
        assertEquals("usd", message.get("currency").asText());
    }

    @Test
    void aFailedPayoutReplayedIsQueuedAsItsNextAttempt() throws Exception {
        Fulfilment reward = fulfilment(96, "cash", "1500");
        realRecords.claims().claim(reward, deadline);
        jdbc.update("UPDATE fulfilments SET state = 'FAILED', attempt = 1, lease_holder = NULL WHERE fulfilment_id = 96");
        Claim replay = realRecords.claims().claimForReplay(reward.key()).claim();

        template.send("direct:cash-payout", delivery(reward, replay));

        assertEquals(2, replay.attempt());
        assertEquals(Map.of("state", "QUEUED", "attempt", 2), fulfilmentRow(96));
        assertEquals(2, jdbc.queryForObject("SELECT attempt FROM payout_outbox WHERE fulfilment_id = 96", Integer.class));
    }

    @Test
    void anAmountOutOfBoundsIsParkedWithTheLimitsReason() throws Exception {
        Fulfilment reward = fulfilment(93, "cash", "1000001");
        Claim claim = realRecords.claims().claim(reward, deadline);

        Exchange done = template.send("direct:cash-payout", delivery(reward, claim));

        String reason = "amount out of bounds: cash cents must be from 1 to 1000000";
        assertEquals(Answer.parked(reason), done.getProperty("answer"));
        assertEquals("PARKED", fulfilmentRow(93).get("state"));
        assertEquals(reason, jdbc.queryForObject("SELECT reason FROM fulfilments WHERE fulfilment_id = 93", String.class));
        assertEquals(0, outboxRows());
    }

    @Test
    void aClaimTakenOverByAnotherDeliveryWritesNothing() throws Exception {
        Fulfilment reward = fulfilment(94, "cash", "1500");
        Claim claim = realRecords.claims().claim(reward, deadline);
        jdbc.update("UPDATE fulfilments SET lease_holder = 'another delivery' WHERE fulfilment_id = 94");

        Exchange done = template.send("direct:cash-payout", delivery(reward, claim));

        assertInstanceOf(RetryLater.class, thrown(done)); // answered 503 by the webhook route's error handling
        assertEquals(Map.of("state", "RECEIVED", "attempt", 0), fulfilmentRow(94));
        assertEquals(0, outboxRows());
    }

    @Test
    void anOutboxRowThatCannotBeWrittenRollsTheQueuedStateBack() throws Exception {
        Fulfilment reward = fulfilment(95, "cash", "1500");
        Claim claim = realRecords.claims().claim(reward, deadline);
        // The attempt's row is there already: the INSERT after markQueued fails.
        jdbc.update("INSERT INTO payout_outbox (fulfilment_id, attempt, message, created_at) VALUES (95, ?, '{}', CURRENT_TIMESTAMP)",
                claim.attempt());

        Exchange done = template.send("direct:cash-payout", delivery(reward, claim));

        assertInstanceOf(DataAccessException.class, thrown(done));
        assertEquals(Map.of("state", "RECEIVED", "attempt", 0), fulfilmentRow(95));
        assertEquals(1, outboxRows());
    }

    @Test
    void aFirstDeliveryIsRecordedQueuedWithItsOutboxRowWithoutAClaim() throws Exception {
        Fulfilment reward = fulfilment(97, "cash", "1500");

        Exchange done = template.send("direct:cash-payout", delivery(reward, null));

        assertNull(done.getException());
        assertEquals(Answer.queuedFirst(reward), done.getProperty("answer"));
        assertEquals(Map.of("state", "QUEUED", "attempt", 1), fulfilmentRow(97));
        assertNull(jdbc.queryForObject("SELECT lease_holder FROM fulfilments WHERE fulfilment_id = 97", String.class), "never claimed");
        List<Map<String, Object>> outbox = jdbc.queryForList("SELECT source, attempt, message FROM payout_outbox WHERE fulfilment_id = 97");
        assertEquals(1, outbox.size());
        assertEquals("v1", outbox.get(0).get("source"));
        assertEquals(1, outbox.get(0).get("attempt"));
        assertEquals(1500, JSON.readTree((String) outbox.get(0).get("message")).get("amount_cents").asLong());
    }

    @Test
    void aFirstDeliveryWhoseOutboxRowCannotBeWrittenLeavesNoRecord() throws Exception {
        Fulfilment reward = fulfilment(98, "cash", "1500");
        jdbc.update("INSERT INTO payout_outbox (fulfilment_id, attempt, message, created_at) VALUES (98, 1, '{}', CURRENT_TIMESTAMP)");

        Exchange done = template.send("direct:cash-payout", delivery(reward, null));

        assertInstanceOf(DataAccessException.class, thrown(done));
        assertEquals(0, jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE fulfilment_id = 98", Integer.class));
        assertEquals(1, outboxRows());
    }

    @Test
    void aDeliveryQueuedBeforeIsAnsweredWithWhatWasDecided() throws Exception {
        Fulfilment reward = fulfilment(99, "cash", "1500");
        template.send("direct:cash-payout", delivery(reward, null));

        Exchange again = template.send("direct:cash-payout", delivery(reward, null));

        assertNull(again.getException());
        assertEquals(Answer.queued("payout queued before, not yet paid"), again.getProperty("answer"));
        assertEquals(1, outboxRows());
    }

    @Test
    void aDeliveryOutOfBoundsIsClaimedAndParked() throws Exception {
        Fulfilment reward = fulfilment(100, "cash", "0");

        Exchange done = template.send("direct:cash-payout", delivery(reward, null));

        String reason = "amount out of bounds: cash cents must be from 1 to 1000000";
        assertEquals(Answer.parked(reason), done.getProperty("answer"));
        assertEquals("PARKED", fulfilmentRow(100).get("state"));
        assertEquals(0, outboxRows());
    }

    @Test
    void aDeliveryClaimedByTheBeanThatFailsReleasesItsClaim() throws Exception {
        // Known before (parked), so this delivery claims it: attempt 2, whose outbox row is there already.
        Fulfilment reward = fulfilment(101, "cash", "1500");
        jdbc.update("""
                INSERT INTO fulfilments (source, fulfilment_id, unit, amount, promoter_id, customer_ref, state, attempt, reason, created_at, updated_at)
                VALUES ('v1', 101, 'cash', 1500, 7, 'cus_101', 'PARKED', 1, 'the payout worker was down', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""");
        jdbc.update("INSERT INTO payout_outbox (fulfilment_id, attempt, message, created_at) VALUES (101, 2, '{}', CURRENT_TIMESTAMP)");

        Exchange done = template.send("direct:cash-payout", delivery(reward, null));

        assertInstanceOf(DataAccessException.class, thrown(done));
        assertEquals("RECEIVED", fulfilmentRow(101).get("state"));
        // Released: the next delivery takes it over at once instead of waiting out the lease.
        // (Within 2 s: a claim still leased would make it wait past that and throw RetryLater.)
        Claim next = realRecords.claims().claim(reward, Deadline.from(System.nanoTime(), Duration.ofSeconds(2)));
        assertEquals(true, next.held());
        assertEquals(2, next.attempt());
    }

    /** What the bean threw: a bean called from an expression reaches the caller wrapped (error-handling unwraps it too). */
    private static Throwable thrown(Exchange done) {
        Throwable thrown = done.getException();
        return thrown instanceof RuntimeBeanExpressionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    }

    private Map<String, Object> fulfilmentRow(long id) {
        return jdbc.queryForMap("SELECT state, attempt FROM fulfilments WHERE fulfilment_id = ?", id);
    }

    private int outboxRows() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox", Integer.class);
    }
}
