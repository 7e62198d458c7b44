package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Reversal;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DuplicateKeyException;

/**
 * Route ledger-reversal, on an in-memory H2 database with the bridge's migrations: the two entries
 * opposite to the grant's, of that fulfilment's source only; none found, or a second reversal, is refused.
 */
class LedgerReversalRouteTest extends RouteTestSupport {

    private static final FulfilmentKey LEGACY = FulfilmentKey.pending(92);
    /** A v2 commission with the same number: its entries are another reward's. */
    private static final FulfilmentKey COMMISSION = new FulfilmentKey(Source.COMMISSION, 92);

    private final RouteDatabase database = new RouteDatabase();

    @Override
    protected List<String> routeFiles() {
        return List.of("ledger-reversal.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        database.migrate();
        registry.bind("dataSource", database.dataSource); // the sql component's
    }

    @BeforeEach
    void start() {
        database.fulfilment(LEGACY, "credits", "25", "REVERSED");
        database.ledgerGrant(LEGACY, "credits", "25");
        database.fulfilment(COMMISSION, "points", "40", "GRANTED");
        database.ledgerGrant(COMMISSION, "points", "40");
        context.start();
    }

    @Test
    void theGrantsTwoEntriesGetTheirOpposites() {
        Exchange done = reverse(LEGACY);

        assertEquals(null, done.getException());
        assertEquals(List.of(
                        Map.of("account_kind", "FUNDING", "account", "funding:credits", "amount", new BigDecimal("25.0000")),
                        Map.of("account_kind", "PROMOTER", "account", "cus_92", "amount", new BigDecimal("-25.0000"))),
                entries(Source.FULFILMENT_PENDING, "REVERSAL"));
        assertEquals(0, balance(Source.FULFILMENT_PENDING, "cus_92"));
        assertEquals(List.of(), entries(Source.COMMISSION, "REVERSAL"), "the v2 commission of the same number is untouched");
        assertEquals(40, balance(Source.COMMISSION, "cus_92"));
    }

    @Test
    void aGrantWithoutItsEntriesIsRefusedAndNothingIsBooked() {
        FulfilmentKey withoutEntries = FulfilmentKey.pending(93);
        database.fulfilment(withoutEntries, "credits", "25", "REVERSED");

        Exchange done = reverse(withoutEntries);

        assertInstanceOf(IllegalStateException.class, done.getException());
        assertEquals("the grant's two ledger entries were not found: nothing reversed", done.getException().getMessage());
        assertEquals(4, database.jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entries", Integer.class));
    }

    @Test
    void aSecondReversalIsRefusedByTheLedgersKey() {
        reverse(LEGACY);

        Exchange again = reverse(LEGACY);

        assertInstanceOf(DuplicateKeyException.class, again.getException());
        assertEquals(2, entries(Source.FULFILMENT_PENDING, "REVERSAL").size());
        assertEquals(0, balance(Source.FULFILMENT_PENDING, "cus_92"));
    }

    /** What fulfilment-reversal hands over: the reversal found, credits to reverse. */
    private Exchange reverse(FulfilmentKey key) {
        return template.send("direct:ledger-reversal", exchange -> exchange.setProperty("reversal",
                new Reversal(key, Reversal.Found.CREDITS, "credits", null)));
    }

    private List<Map<String, Object>> entries(Source source, String kind) {
        return database.jdbc.queryForList("SELECT account_kind, account, amount FROM ledger_entries WHERE source = ? AND entry_kind = ? "
                + "ORDER BY account_kind", source.ledgerSource(), kind);
    }

    private int balance(Source source, String account) {
        return database.jdbc.queryForObject("SELECT SUM(amount) FROM ledger_entries WHERE source = ? AND account = ?",
                BigDecimal.class, source.ledgerSource(), account).intValueExact();
    }
}
