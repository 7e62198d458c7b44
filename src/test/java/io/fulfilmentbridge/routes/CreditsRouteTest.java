package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.fulfilment.RealRecords;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.RewardLimits;
import io.fulfilmentbridge.ledger.CreditLedger;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.language.bean.RuntimeBeanExpressionException;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;

/**
 * Route credits, on an in-memory H2 database with the bridge's migrations, the real record keepers
 * (RealRecords) and the real creditLedger: a grant's state and its two ledger entries commit together, or
 * neither does; a first delivery is recorded with its entries, without a claim.
 */
class CreditsRouteTest extends RouteTestSupport {

    private final RouteDatabase database = new RouteDatabase();
    private final RealRecords realRecords = RealRecords.on(database.jdbc, database.transaction, meters, SETTINGS);

    @Override
    protected List<String> routeFiles() {
        return List.of("credits.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        database.migrate();
        realRecords.bindTo(registry);
        registry.bind("creditLedger", new CreditLedger(new RewardLimits(SETTINGS), realRecords.claims(), realRecords.lifecycle(),
                database.jdbc, database.transaction, meters, SETTINGS));
    }

    @BeforeEach
    void start() {
        context.start();
    }

    @AfterEach
    void ledgerStillSumsToZero() {
        assertEquals(0, database.jdbc.queryForObject("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries", Integer.class));
    }

    @Test
    void aFirstDeliveryIsRecordedGrantedWithItsTwoEntriesAndNoClaim() {
        Fulfilment reward = fulfilment(92, "credits", "20");

        Exchange done = template.send("direct:credits", delivery(reward, null));

        assertNull(done.getException());
        assertEquals(Answer.granted("credited 20 credits to cus_92"), done.getProperty("answer"));
        assertEquals(Map.of("state", "GRANTED", "attempt", 0), row(92));
        assertEquals(List.of("PROMOTER cus_92 credits 20", "FUNDING credits credits -20"), entries(92));
        assertNull(done.getProperty("claim"));
    }

    @Test
    void aHeldClaimIsGrantedUnderItsLeaseWithItsTwoEntries() throws Exception {
        Fulfilment reward = fulfilment(93, "points", "3.5");
        Claim claim = realRecords.claims().claim(reward, deadline);

        Exchange done = template.send("direct:credits", delivery(reward, claim));

        assertNull(done.getException());
        assertEquals(Answer.credited(reward), done.getProperty("answer"));
        assertEquals("GRANTED", row(93).get("state"));
        assertEquals(List.of("PROMOTER cus_93 points 3.5", "FUNDING points points -3.5"), entries(93));
    }

    @Test
    void aDeliveryOfAGrantedFulfilmentIsAnsweredWhatWasDecidedAndBooksNothingMore() {
        Fulfilment reward = fulfilment(94, "credits", "20");
        template.send("direct:credits", delivery(reward, null));

        Exchange again = template.send("direct:credits", delivery(reward, null));

        assertNull(again.getException());
        assertEquals(Outcome.GRANTED, again.getProperty("answer", Answer.class).outcome());
        assertTrue(again.getProperty("answer", Answer.class).detail().contains("granted before"), again.getProperty("answer").toString());
        assertEquals(2, entries(94).size());
    }

    @Test
    void anAmountOutOfBoundsIsClaimedAndParkedWithTheLimitsReason() {
        Fulfilment reward = fulfilment(95, "credits", "100000.5");

        Exchange done = template.send("direct:credits", delivery(reward, null));

        String reason = "amount out of bounds: credits must be more than 0 and at most 100000";
        assertEquals(Answer.parked(reason), done.getProperty("answer"));
        assertEquals("PARKED", row(95).get("state"));
        assertEquals(reason, database.jdbc.queryForObject("SELECT reason FROM fulfilments WHERE fulfilment_id = 95", String.class));
        assertEquals(List.of(), entries(95));
    }

    @Test
    void aParkedFulfilmentDeliveredAgainIsClaimedAfreshAndGranted() {
        database.fulfilment(FulfilmentKey.pending(96), "credits", "0", "PARKED");
        Fulfilment reward = fulfilment(96, "credits", "15");

        Exchange done = template.send("direct:credits", delivery(reward, null));

        assertEquals(Answer.credited(reward), done.getProperty("answer"));
        assertEquals(Map.of("state", "GRANTED", "attempt", 1), row(96));
        assertEquals(2, entries(96).size());
    }

    @Test
    void aClaimTakenOverByAnotherDeliveryBooksNothing() throws Exception {
        Fulfilment reward = fulfilment(97, "credits", "20");
        Claim claim = realRecords.claims().claim(reward, deadline);
        database.jdbc.update("UPDATE fulfilments SET lease_holder = 'another delivery' WHERE fulfilment_id = 97");

        Exchange done = template.send("direct:credits", delivery(reward, claim));

        assertInstanceOf(RetryLater.class, thrown(done)); // answered 503 by the webhook route's error handling
        assertEquals("RECEIVED", row(97).get("state"));
        assertEquals(List.of(), entries(97));
    }

    @Test
    void anEntryThatCannotBeWrittenRollsTheGrantBackAndReleasesTheClaimTakenForIt() {
        database.fulfilment(FulfilmentKey.pending(98), "credits", "20", "PARKED");
        // The grant's funding entry is there already: the second insert fails, alone as in its batch.
        database.jdbc.update("INSERT INTO ledger_entries (source, fulfilment_id, account_kind, account, unit, amount) "
                + "VALUES ('v1', 98, 'FUNDING', 'credits', 'credits', 0)");
        Fulfilment reward = fulfilment(98, "credits", "20");

        Exchange done = template.send("direct:credits", delivery(reward, null));

        assertInstanceOf(DataAccessException.class, thrown(done));
        assertEquals("RECEIVED", row(98).get("state"));
        assertEquals(List.of("FUNDING credits credits 0"), entries(98));
        // Released: the next delivery takes it over at once instead of waiting out the lease.
        Timestamp leaseUntil = database.jdbc.queryForObject("SELECT lease_until FROM fulfilments WHERE fulfilment_id = 98", Timestamp.class);
        assertTrue(!leaseUntil.toInstant().isAfter(Instant.now()), "lease until " + leaseUntil);
    }

    /** What the bean threw: the step calling it hands it on wrapped, and the error handling reads the cause (Failures). */
    private static Throwable thrown(Exchange done) {
        Throwable thrown = done.getException();
        return thrown instanceof RuntimeBeanExpressionException wrapped ? wrapped.getCause() : thrown;
    }

    private Map<String, Object> row(long id) {
        return database.jdbc.queryForMap("SELECT state, attempt FROM fulfilments WHERE fulfilment_id = ?", id);
    }

    /** The fulfilment's ledger entries, promoter's first: kind, account, unit and amount. */
    private List<String> entries(long id) {
        return database.jdbc.query("SELECT account_kind, account, unit, amount FROM ledger_entries WHERE fulfilment_id = ? "
                + "ORDER BY account_kind DESC", (rs, n) -> rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " "
                + rs.getBigDecimal(4).stripTrailingZeros().toPlainString(), id);
    }
}
