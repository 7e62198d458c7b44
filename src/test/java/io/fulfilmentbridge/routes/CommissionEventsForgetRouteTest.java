package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fulfilmentbridge.fulfilment.CommissionEventLog;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;

/**
 * Route commission-events-forget, on an in-memory H2 database with the bridge's migrations and the real
 * commissionEventLog: once an hour the v2 events answered longer than the retention (30 days) ago are
 * forgotten, the younger ones kept to answer a re-sent event.
 */
class CommissionEventsForgetRouteTest extends RouteTestSupport {

    private final RouteDatabase database = new RouteDatabase();

    @Override
    protected List<String> routeFiles() {
        return List.of("commission-events-forget.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        database.migrate();
        registry.bind("commissionEventLog", new CommissionEventLog(database.jdbc, SETTINGS, new DatabaseClock(database.jdbc)));
    }

    /** The route's own from, before the advice replaced it. */
    private String timer;

    @BeforeEach
    void replaceTheTimer() throws Exception {
        timer = context.getRouteDefinition("commission-events-forget").getInput().getEndpointUri();
        advise("commission-events-forget", route -> route.replaceFromWith("direct:forget"));
        context.start();
    }

    @Test
    void runsHourlyAMinuteAfterStartUp() {
        assertEquals("timer:commission-events-forget?delay=60000&period=3600000", timer);
    }

    @Test
    void eventsAnsweredLongerThanTheRetentionAgoAreForgotten() {
        Instant now = Instant.now();
        answered("evt-old", now.minus(Duration.ofDays(31)));
        answered("evt-just-old", now.minus(Duration.ofDays(30)).minus(Duration.ofMinutes(1)));
        answered("evt-young", now.minus(Duration.ofDays(29)));

        Exchange done = template.send("direct:forget", exchange -> { });

        assertNull(done.getException());
        assertEquals(2, done.getMessage().getBody(Integer.class), "the number forgotten");
        assertEquals(List.of("evt-young"), database.jdbc.queryForList("SELECT event_id FROM commission_events", String.class));
    }

    @Test
    void aDatabaseFailureFailsThisRunAndKeepsEveryAnswer() {
        answered("evt-old", Instant.now().minus(Duration.ofDays(31)));
        database.jdbc.execute("ALTER TABLE commission_events RENAME TO commission_events_away");

        Exchange done = template.send("direct:forget", exchange -> { });

        // Logged by Camel's default error handler; the next hour's run forgets it.
        assertInstanceOf(DataAccessException.class, done.getException());
        database.jdbc.execute("ALTER TABLE commission_events_away RENAME TO commission_events");
        assertEquals(List.of("evt-old"), database.jdbc.queryForList("SELECT event_id FROM commission_events", String.class));
    }

    private void answered(String eventId, Instant at) {
        database.jdbc.update("INSERT INTO commission_events (event_id, commission_id, event_type, outcome, detail, answered_at) "
                + "VALUES (?, 92, 'commission.approved', 'granted', 'granted', ?)", eventId, Timestamp.from(at));
    }
}
