package io.fulfilmentbridge.recurly;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.FirstPromoterStandIn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * A v2 commission's free months in Recurly: the marker it writes is commission-&lt;id&gt;, never the
 * legacy fulfilment-&lt;id&gt; (the two kinds' ids are different numbers that can be equal).
 */
@TestPropertySource(properties = {
        "bridge.firstpromoter.inbound=v2",
        "bridge.firstpromoter.api-key=fp_v2_key_for_recurly_tests",
        "bridge.firstpromoter.account-id=acc_recurly_tests",
        "bridge.firstpromoter.poll-interval=100ms",
        "bridge.firstpromoter.retry-backoff=200ms"})
class RecurlyCommissionTest extends RecurlyBridgeSupport {

    static final FirstPromoterStandIn FIRSTPROMOTER = new FirstPromoterStandIn(0);
    private static final long PROMOTER_REWARD = 11;

    @DynamicPropertySource
    static void firstPromoterStandIn(DynamicPropertyRegistry registry) {
        registry.add("bridge.firstpromoter.api-base", FIRSTPROMOTER::baseUrl);
    }

    @BeforeEach
    void resetFirstPromoter() {
        FIRSTPROMOTER.reset();
        FIRSTPROMOTER.stubRewards(FirstPromoterStandIn.reward(PROMOTER_REWARD, true, "free_months", null, null, null));
    }

    /** FirstPromoter's own approval example for this commission, as CommissionEventsTest builds it. */
    private static String approval(long id, String unit, int amount) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(sample("v2-docs-commission-approved.json"));
            root.put("event_id", UUID.randomUUID().toString());
            root.put("event_type", "commission.updated");
            root.put("entity_id", id);
            root.putObject("changes").putArray("status").add("pending").add("approved");
            ObjectNode data = (ObjectNode) root.get("data");
            data.put("id", id);
            data.put("unit", unit);
            data.put("amount", amount);
            root.put("timestamp", "2026-11-30T10:15:00Z");
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aCommissionsFreeMonthsCarryTheCommissionsMarker() {
        long id = nextId();
        long promoterId = nextId();
        FIRSTPROMOTER.stubCommission(id, FirstPromoterStandIn.commission(id, "approved", "free_months", 2, promoterId,
                "promoter-" + promoterId + "@example.com", 99812L, "customer@example.com", "app-user-552", PROMOTER_REWARD));
        FIRSTPROMOTER.stubPromoter(promoterId, "promoter-" + promoterId + "@example.com", appId(id));
        FIRSTPROMOTER.stubMarkFulfilled(id, 200);
        Instant periodEnd = Instant.now().plus(Duration.ofDays(10)).truncatedTo(ChronoUnit.SECONDS);
        RECURLY.stubGrantableAccount(accountId(id), appId(id), email(id), subscriptionId(id), periodEnd);

        assertThat(postEvent(approval(id, "free_months", 2)).statusCode()).isEqualTo(200);
        assertThat(postEvent(approval(id, "free_months", 2)).statusCode()).isEqualTo(200);

        List<LoggedRequest> updates = requests("PUT", "/subscriptions/" + subscriptionId(id));
        assertThat(updates).hasSize(1);
        assertRecurlyHeaders(updates.get(0));
        JsonNode body = body(updates.get(0));
        assertThat(body.get("next_bill_date").asText())
                .isEqualTo(RecurlyStandIn.iso(periodEnd.atZone(ZoneOffset.UTC).plusMonths(2).toInstant()));
        assertThat(body.get("custom_fields").get(0).get("value").asText()).isEqualTo("commission-" + id);
        assertThat(jdbc.queryForObject("SELECT state FROM billing_grants WHERE source = 'v2' AND fulfilment_id = ?",
                String.class, id)).isEqualTo("APPLIED");
    }
}
