package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.after;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.firstpromoter.FirstPromoterNotifier;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.Source;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/**
 * Route firstpromoter-notify, polling an in-memory H2 database with the bridge's migrations: a poll's
 * fulfilments whose notice is due are handed to firstPromoterNotifier (a mock) together, each with its
 * source and the attempts made, oldest due first; legacy rows when granted or paid, v2 commissions when granted, and
 * only of the kinds whose FirstPromoter key is set.
 */
class FirstPromoterNotifyRouteTest extends RouteTestSupport {

    private static final FulfilmentKey GRANTED = FulfilmentKey.pending(92);
    private static final FulfilmentKey PAID = FulfilmentKey.pending(93);
    /** A v2 commission with the same number as a legacy reward: told by its own call. */
    private static final FulfilmentKey COMMISSION = new FulfilmentKey(Source.COMMISSION, 92);

    private final RouteDatabase database = new RouteDatabase();
    private final FirstPromoterNotifier notifier = mock(FirstPromoterNotifier.class);

    @Override
    protected List<String> routeFiles() {
        return List.of("firstpromoter-notify.camel.yaml");
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        // One poll in a test: the first, a second after the start.
        context.getPropertiesComponent().addInitialProperty("bridge.firstpromoter.poll-interval", "600000");
        return context;
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        database.migrate();
        registry.bind("dataSource", database.dataSource); // the sql component's
        // Both keys set: as the real notifier answers the route's query.
        when(notifier.enabled()).thenReturn(true);
        when(notifier.legacySource()).thenReturn("v1");
        when(notifier.commissionSource()).thenReturn("v2");
        when(notifier.grantedState()).thenReturn("GRANTED");
        when(notifier.paidState()).thenReturn("PAID");
        registry.bind("firstPromoterNotifier", notifier);
    }

    @BeforeEach
    void rows() {
        Instant now = Instant.now();
        due(PAID, "PAID", 2, now.minus(Duration.ofMinutes(10)));
        due(GRANTED, "GRANTED", 0, now.minus(Duration.ofMinutes(5)));
        due(COMMISSION, "GRANTED", 1, now.minus(Duration.ofMinutes(5)));
        // Not handed over: a paid v2 commission (v2 cash is not acted on), a notice not due yet, one
        // sent, one given up, and a payout not yet paid.
        due(new FulfilmentKey(Source.COMMISSION, 94), "PAID", 0, now.minus(Duration.ofMinutes(5)));
        due(FulfilmentKey.pending(95), "GRANTED", 1, now.plus(Duration.ofMinutes(5)));
        due(FulfilmentKey.pending(96), "GRANTED", 1, now.minus(Duration.ofMinutes(5)));
        database.jdbc.update("UPDATE fulfilments SET firstpromoter_notice = 'SENT' WHERE fulfilment_id = 96");
        due(FulfilmentKey.pending(97), "PAID", 3, now.minus(Duration.ofMinutes(5)));
        database.jdbc.update("UPDATE fulfilments SET firstpromoter_notice = 'GAVE_UP' WHERE fulfilment_id = 97");
        due(FulfilmentKey.pending(98), "QUEUED", 0, now.minus(Duration.ofMinutes(5)));
    }

    /** Each poll's rows as the notifier was handed them: source, id, attempts made. */
    @SuppressWarnings("unchecked")
    private List<List<String>> polls(int atLeast) {
        ArgumentCaptor<List<Map<String, Object>>> rows = ArgumentCaptor.forClass(List.class);
        verify(notifier, timeout(10_000).atLeast(atLeast)).tellDue(rows.capture());
        return rows.getAllValues().stream().map(poll -> poll.stream().map(row -> row.get("source") + " " + row.get("fulfilment_id")
                + " " + row.get("firstpromoter_attempts")).toList()).toList();
    }

    @Test
    void eachPollHandsOverItsDueNoticesTogetherOldestFirst() {
        context.start();

        // A row read wrongly would come later in the poll than 92 of v2 (by its due time, then its id).
        assertThat(polls(1)).containsExactly(List.of("v1 93 2", "v1 92 0", "v2 92 1"));
        verify(notifier, after(500).times(1)).tellDue(anyList());
    }

    @Test
    void withOnlyTheV2KeyLegacyRowsAreNotRead() {
        when(notifier.legacySource()).thenReturn("none"); // as the real one answers without the v1 key

        context.start();

        assertThat(polls(1)).containsExactly(List.of("v2 92 1"));
    }

    @Test
    void aPollThatFindsNothingDueHandsNothingOver() {
        database.jdbc.update("UPDATE fulfilments SET firstpromoter_notice = 'SENT'");

        context.start();

        verify(notifier, after(2_000).never()).tellDue(anyList());
    }

    @Test
    void withNeitherKeyTheRouteDoesNotExist() throws Exception {
        FirstPromoterNotifier withoutKeys = mock(FirstPromoterNotifier.class); // enabled() false
        try (CamelContext other = new DefaultCamelContext()) {
            other.getRegistry().bind("firstPromoterNotifier", withoutKeys);
            other.addRoutes(PluginHelper.getRoutesLoader(other).findRoutesBuilders(List.of(
                    ResourceHelper.resolveMandatoryResource(other, "file:routes/firstpromoter-notify.camel.yaml"))).iterator().next());
            other.start();
            assertNull(other.getRoute("firstpromoter-notify"));
        }
        assertNotNull(context.getRouteDefinition("firstpromoter-notify"), "with a key, it does");
    }

    private void due(FulfilmentKey key, String state, int attempts, Instant nextAt) {
        database.fulfilment(key, "credits", "10", state);
        database.jdbc.update("UPDATE fulfilments SET firstpromoter_notice = 'DUE', firstpromoter_attempts = ?, firstpromoter_next_at = ? "
                + "WHERE source = ? AND fulfilment_id = ?", attempts, Timestamp.from(nextAt), key.source().ledgerSource(), key.id());
    }
}
