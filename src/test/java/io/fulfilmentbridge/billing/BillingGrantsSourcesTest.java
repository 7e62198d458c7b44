package io.fulfilmentbridge.billing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Each statement that changes one grant names its source: a legacy fulfilment (v1) and a v2 commission
 * of the same number, one acted on, the other's row left exactly as it was. The real BillingGrants on
 * an in-memory H2 database with the bridge's migrations, with a Stripe trial extension as the grant.
 */
class BillingGrantsSourcesTest {

    private static final FulfilmentSettings SETTINGS = new FulfilmentSettings(Duration.ofSeconds(9), Duration.ofSeconds(15),
            Duration.ofHours(1), new FulfilmentSettings.Limits(24, new BigDecimal("100000"), 1_000_000, 100_000, 100),
            new FulfilmentSettings.GroupCommit(100, 2), "classpath:routes", Duration.ofDays(30));
    private static final FulfilmentKey V1 = FulfilmentKey.pending(92);
    private static final FulfilmentKey V2 = new FulfilmentKey(Source.COMMISSION, 92);

    private final DriverManagerDataSource database = new DriverManagerDataSource("jdbc:h2:mem:grant-sources-"
            + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
    private final JdbcTemplate jdbc = new JdbcTemplate(database);

    @AfterEach
    void stop() {
        jdbc.execute("SHUTDOWN");
    }

    @Test
    void stripeGrants() {
        Flyway.configure().dataSource(database).locations("classpath:db/migration").load().migrate();
        BillingGrants grants = new BillingGrants(jdbc, new DatabaseClock(jdbc), SETTINGS);
        recordSent(grants, V1);
        recordSent(grants, V2);
        assertEquals(2, grants.find(V2).orElseThrow().months());

        Map<String, Object> v2Sent = grantRow(V2);
        assertEquals(2, grants.recordNextKey(grants.find(V1).orElseThrow(), null, Instant.ofEpochSecond(1_900_000_001L))
                .keyGeneration());
        assertEquals(2, ((Number) grantRow(V1).get("key_generation")).intValue());
        assertEquals(v2Sent, grantRow(V2));
        grants.forget(V1);
        assertEquals(0, jdbc.queryForObject("SELECT COUNT(*) FROM billing_grants WHERE source = 'v1'", Integer.class));
        assertEquals(v2Sent, grantRow(V2));

        recordSent(grants, V1);
        Map<String, Object> v1Sent = grantRow(V1);
        grants.markApplied(V2);
        assertEquals("APPLIED", grantRow(V2).get("state"));
        assertEquals(v1Sent, grantRow(V1));
    }

    private static void recordSent(BillingGrants grants, FulfilmentKey key) {
        grants.recordSent(BillingGrant.toSend(key, "stripe", "cus_1", "sub_1", "trial-extension", key == V1 ? 1 : 2, null,
                Instant.ofEpochSecond(1_900_000_000L), null, null));
    }

    private Map<String, Object> grantRow(FulfilmentKey key) {
        return jdbc.queryForMap("SELECT * FROM billing_grants WHERE source = ? AND fulfilment_id = ?", key.source().ledgerSource(), key.id());
    }
}
