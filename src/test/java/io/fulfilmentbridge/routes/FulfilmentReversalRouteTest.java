package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.verify;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentReversals;
import io.fulfilmentbridge.fulfilment.RealRecords;
import io.fulfilmentbridge.fulfilment.Reversal;
import io.fulfilmentbridge.fulfilment.ReversalRequest;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;

/**
 * Route fulfilment-reversal, on an in-memory H2 database with the bridge's migrations and the real
 * record keepers (RealRecords): the route hands the key and the note to fulfilmentReversals.reverse and
 * keeps its result as property reversal; the REVERSED state and the reversal's effect (the ledger's
 * opposite entries, the payout's outbox row withdrawn) commit together, or neither does.
 */
class FulfilmentReversalRouteTest extends RouteTestSupport {

    private static final String NOTE = "refunded by the customer";

    private final RouteDatabase database = new RouteDatabase();
    private final RealRecords realRecords = RealRecords.on(database.jdbc, database.transaction, meters, SETTINGS);
    /** The real fulfilmentReversals, its calls verified. */
    private final FulfilmentReversals fulfilmentReversals = spy(realRecords.reversals());

    @Override
    protected List<String> routeFiles() {
        return List.of("fulfilment-reversal.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        database.migrate();
        realRecords.bindTo(registry);
        registry.bind("fulfilmentReversals", fulfilmentReversals);
    }

    @BeforeEach
    void start() {
        context.start();
    }

    @Test
    void aCreditGrantIsReversedWithItsLedgerEntries() {
        FulfilmentKey key = FulfilmentKey.pending(92);
        database.fulfilment(key, "credits", "25", "GRANTED");
        database.ledgerGrant(key, "credits", "25");
        // A v2 commission with the same number: its entries are another reward's.
        FulfilmentKey commission = new FulfilmentKey(Source.COMMISSION, 92);
        database.fulfilment(commission, "points", "40", "GRANTED");
        database.ledgerGrant(commission, "points", "40");

        Exchange done = reverse(key);

        assertNull(done.getException());
        assertEquals(new Reversal(key, Reversal.Found.CREDITS, "credits", null), done.getMessage().getBody());
        assertEquals(Map.of("state", "REVERSED", "reversal_note", NOTE), row(key));
        assertNull(reason(key));
        assertEquals(List.of(
                        Map.of("account_kind", "FUNDING", "account", "funding:credits", "amount", new BigDecimal("25.0000")),
                        Map.of("account_kind", "PROMOTER", "account", "cus_92", "amount", new BigDecimal("-25.0000"))),
                database.jdbc.queryForList("SELECT account_kind, account, amount FROM ledger_entries WHERE source = ? AND fulfilment_id = 92 "
                        + "AND entry_kind = 'REVERSAL' ORDER BY account_kind", Source.FULFILMENT_PENDING.ledgerSource()));
        assertEquals(0, balance(key, "cus_92"));
        assertEquals(0, ledgerEntries(commission, "REVERSAL"), "the v2 commission of the same number is untouched");
        assertEquals(40, balance(commission, "cus_92"));
        assertEquals("GRANTED", row(commission).get("state"));
        verify(fulfilmentReversals).reverse(key, NOTE);
    }

    @Test
    void aSecondReversalOfTheLedgerIsRefusedByItsKeyAndNothingChanges() {
        // What got past the fulfilment's lock: the grant still GRANTED, its reversal's entries booked already.
        FulfilmentKey key = FulfilmentKey.pending(91);
        database.fulfilment(key, "credits", "25", "GRANTED");
        database.ledgerGrant(key, "credits", "25");
        database.jdbc.update("INSERT INTO ledger_entries (source, fulfilment_id, account_kind, account, unit, amount, entry_kind) "
                + "SELECT source, fulfilment_id, account_kind, account, unit, -amount, 'REVERSAL' FROM ledger_entries WHERE fulfilment_id = 91");

        Exchange done = reverse(key);

        assertInstanceOf(DuplicateKeyException.class, done.getException());
        assertEquals("GRANTED", row(key).get("state"));
        assertEquals(2, ledgerEntries(key, "REVERSAL"));
        assertEquals(0, balance(key, "cus_91"));
    }

    @Test
    void aCreditGrantWhoseEntriesAreMissingStaysGranted() {
        FulfilmentKey key = FulfilmentKey.pending(93);
        database.fulfilment(key, "credits", "25", "GRANTED");

        Exchange done = reverse(key);

        // The opposite entries' booking throws inside the transaction: the REVERSED state is rolled back with it.
        assertInstanceOf(IllegalStateException.class, done.getException());
        assertEquals("the grant's two ledger entries were not found: nothing reversed", done.getException().getMessage());
        assertEquals("GRANTED", row(key).get("state"));
        assertNull(row(key).get("reversal_note"));
        assertEquals(0, ledgerEntries(key, "REVERSAL"));
    }

    @Test
    void aQueuedPayoutStillInTheOutboxIsWithdrawn() {
        FulfilmentKey key = FulfilmentKey.pending(94);
        database.fulfilment(key, "cash", "1500", "QUEUED");
        database.outboxRow(key, 1, "{\"fulfilment_id\": 94}", "2026-12-01 10:00:00");

        Exchange done = reverse(key);

        assertNull(done.getException());
        assertEquals(new Reversal(key, Reversal.Found.PAYOUT_WITHDRAWN, "cash", null), done.getMessage().getBody());
        assertEquals(Map.of("state", "REVERSED", "reversal_note", NOTE), row(key));
        assertNull(reason(key), "nothing to review: the payout can never be sent");
        assertEquals(0, database.outboxRows());
        verify(fulfilmentReversals).reverse(key, NOTE);
    }

    @Test
    void aWithdrawalThatFailsRollsTheReversalAndTheDeleteBack() {
        FulfilmentKey key = FulfilmentKey.pending(99);
        database.fulfilment(key, "cash", "1500", "QUEUED");
        database.outboxRow(key, 1, "{\"fulfilment_id\": 99}", "2026-12-01 10:00:00");
        database.jdbc.execute("CREATE TRIGGER fail_reversed_update BEFORE UPDATE ON fulfilments FOR EACH ROW CALL \""
                + FailReversedUpdate.class.getName() + "\"");

        Exchange done = reverse(key);

        assertInstanceOf(DataAccessException.class, done.getException()); // as the bean threw it
        database.jdbc.execute("DROP TRIGGER fail_reversed_update");
        assertEquals("QUEUED", row(key).get("state"));
        assertNull(row(key).get("reversal_note"));
        assertEquals(1, database.outboxRows(), "the payout stays to be relayed");
    }

    @Test
    void aQueuedPayoutTheRelaySentAlreadyIsListedForReview() {
        FulfilmentKey key = FulfilmentKey.pending(95);
        database.fulfilment(key, "cash", "1500", "QUEUED");
        FulfilmentKey another = FulfilmentKey.pending(96);
        database.outboxRow(another, 1, "{\"fulfilment_id\": 96}", "2026-12-01 10:00:00");

        Exchange done = reverse(key);

        assertEquals(new Reversal(key, Reversal.Found.PAYOUT_SENT, "cash", "by the outbox relay, not yet paid"),
                done.getMessage().getBody());
        assertEquals("REVERSED", row(key).get("state"));
        assertEquals(Reversal.PAYOUT_REVIEW, reason(key));
        assertEquals(1, database.outboxRows(), "another payout's row stays");
    }

    @Test
    void aSecondReversalChangesNothing() {
        FulfilmentKey key = FulfilmentKey.pending(97);
        database.fulfilment(key, "points", "40", "GRANTED");
        database.ledgerGrant(key, "points", "40");
        reverse(key);

        Exchange again = template.send("direct:reverse", exchange -> {
            exchange.getIn().setBody(new ReversalRequest(key, "a second operator"));
        });

        assertNull(again.getException());
        Reversal reversal = again.getMessage().getBody(Reversal.class);
        assertEquals(Reversal.Found.ALREADY_REVERSED, reversal.found());
        assertEquals(Map.of("state", "REVERSED", "reversal_note", NOTE), row(key));
        assertEquals(2, ledgerEntries(key, "REVERSAL"));
    }

    @Test
    void anUnknownFulfilmentIsRefused() {
        FulfilmentKey key = FulfilmentKey.pending(98);

        Exchange done = reverse(key);

        assertNull(done.getException());
        assertEquals(new Reversal(key, Reversal.Found.UNKNOWN, null, null), done.getMessage().getBody());
        assertEquals(0, database.jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments", Integer.class));
    }

    /** As the console's reverse operation sends it: the fulfilment's key and the operator's reason as body. */
    private Exchange reverse(FulfilmentKey key) {
        return template.send("direct:reverse", exchange -> {
            exchange.getIn().setBody(new ReversalRequest(key, NOTE));
        });
    }

    private Map<String, Object> row(FulfilmentKey key) {
        Map<String, Object> row = database.jdbc.queryForMap("SELECT state, reversal_note FROM fulfilments WHERE source = ? AND fulfilment_id = ?",
                key.source().ledgerSource(), key.id());
        row.values().removeIf(Objects::isNull); // a note not written is no column to compare
        return row;
    }

    private String reason(FulfilmentKey key) {
        return database.jdbc.queryForObject("SELECT reason FROM fulfilments WHERE source = ? AND fulfilment_id = ?", String.class,
                key.source().ledgerSource(), key.id());
    }

    private int balance(FulfilmentKey key, String account) {
        return database.jdbc.queryForObject("SELECT SUM(amount) FROM ledger_entries WHERE source = ? AND account = ?",
                BigDecimal.class, key.source().ledgerSource(), account).intValueExact();
    }

    private int ledgerEntries(FulfilmentKey key, String kind) {
        return database.jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries WHERE source = ? AND fulfilment_id = ? AND entry_kind = ?",
                Integer.class, key.source().ledgerSource(), key.id(), kind);
    }
}
