package io.fulfilmentbridge.paddle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The target date and the reading of Paddle's dates, without the bridge around them. */
class PaddleTargetTest {

    private static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");

    private static PaddleSubscription billingAt(String status, Instant nextBilledAt, Instant periodEndsAt) {
        return new PaddleSubscription("sub_x", status, "ctm_x", NOW, null, nextBilledAt, periodEndsAt,
                JsonNodeFactory.instance.objectNode());
    }

    @Test
    void monthsAfterTheNextBillingClampedToTheMonthsEnd() {
        Instant next = Instant.parse("2026-01-31T07:30:00Z");
        assertThat(PaddleBilling.target(NOW, billingAt("active", next, next), 1)).isEqualTo(Instant.parse("2026-02-28T07:30:00Z"));
        assertThat(PaddleBilling.target(NOW, billingAt("active", next, next), 2)).isEqualTo(Instant.parse("2026-03-31T07:30:00Z"));
        Instant leap = Instant.parse("2028-01-31T00:00:00Z");
        assertThat(PaddleBilling.target(NOW, billingAt("trialing", leap, leap), 1)).isEqualTo(Instant.parse("2028-02-29T00:00:00Z"));
    }

    @Test
    void fromTheLatestOfNowTheNextBillingAndThePeriodEnd() {
        Instant past = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(PaddleBilling.target(NOW, billingAt("active", past, past), 1)).isEqualTo(Instant.parse("2026-02-10T12:00:00Z"));
        Instant periodEnd = Instant.parse("2026-01-20T00:00:00Z");
        assertThat(PaddleBilling.target(NOW, billingAt("active", Instant.parse("2026-01-15T00:00:00Z"), periodEnd), 1))
                .isEqualTo(Instant.parse("2026-02-20T00:00:00Z"));
    }

    @Test
    void readsPaddlesDatesToTheSecondAndItsNullsAsNone() throws Exception {
        JsonNode subscription = new ObjectMapper().readTree("""
                {"id":"sub_01","status":"trialing","customer_id":"ctm_01","created_at":"2024-04-12T10:18:47.635628Z",
                 "next_billed_at":"2024-05-12T10:18:47.635628Z","current_billing_period":null,"custom_data":null}""");
        PaddleSubscription read = PaddleSubscription.of(subscription);
        assertThat(read.nextBilledAt()).isEqualTo(Instant.parse("2024-05-12T10:18:47Z"));
        assertThat(read.periodEndsAt()).isNull();
        assertThat(read.customData().isEmpty()).isTrue();
        assertThat(read.trialing()).isTrue();
    }
}
