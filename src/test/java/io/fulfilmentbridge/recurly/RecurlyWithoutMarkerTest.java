package io.fulfilmentbridge.recurly;

import static io.fulfilmentbridge.recurly.RecurlyStandIn.account;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.iso;
import static io.fulfilmentbridge.recurly.RecurlyStandIn.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * Free months in Recurly with bridge.recurly.marker-field empty: a grant's request then carries
 * nothing only it can leave, so a lost answer is settled only where the date shows the request did
 * not land; a date at the target is no proof (a renewal sets the same date) and is parked.
 */
@TestPropertySource(properties = "bridge.recurly.marker-field=")
class RecurlyWithoutMarkerTest extends RecurlyBridgeSupport {

    private static Instant in(Duration fromNow) {
        return Instant.now().plus(fromNow).truncatedTo(ChronoUnit.SECONDS);
    }

    private static Instant plusMonths(Instant at, int months) {
        return at.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
    }

    private HttpResponse<String> deliver(long id, int months) {
        Map<String, Object> data = new HashMap<>();
        data.put("promoter.cust_id", appId(id));
        data.put("promoter.email", email(id));
        data.put("amount", months);
        return deliver(id, data);
    }

    @Test
    void aLostGrantWhoseSubscriptionThenRenewedToItsTargetIsParkedWithWhatWasSeenNotGranted() {
        long id = nextId();
        Instant periodEnd = in(Duration.ofDays(20));
        Instant target = plusMonths(periodEnd, 1);
        ObjectNode before = subscription(subscriptionId(id), accountId(id), "active", in(Duration.ofDays(-40)), periodEnd,
                null, "USD");
        RECURLY.stubAccount(account(accountId(id), appId(id), email(id), "active"));
        RECURLY.stubActiveSubscriptions(accountId(id), before);
        RECURLY.stubSubscription(before);
        String path = "/subscriptions/" + subscriptionId(id);
        // The update answers 503 and does not take effect; then the monthly subscription renews to exactly the target.
        RECURLY.stubUpdateUnavailable(subscriptionId(id));
        assertAnswer(deliver(id, 1), 503, "retry");
        ObjectNode renewed = RECURLY.renew(before);
        assertThat(renewed.path("current_period_ends_at").asText()).isEqualTo(iso(target));
        fenceOver();

        String reason = assertAnswer(deliver(id, 1), 202, "parked");

        assertThat(reason).contains(subscriptionId(id), iso(periodEnd), iso(target), "fulfilment-" + id, "renewal");
        List<LoggedRequest> updates = requests("PUT", path);
        assertThat(updates).hasSize(1);
        JsonNode body = body(updates.get(0));
        assertThat(body.get("next_bill_date").asText()).isEqualTo(iso(target));
        assertThat(body.has("custom_fields")).isFalse();
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(RECURLY.current(subscriptionId(id)).path("current_period_ends_at").asText()).isEqualTo(iso(target));

        // FirstPromoter delivers it again: the update may have landed, so only an operator applies it now.
        assertThat(assertAnswer(deliver(id, 1), 202, "parked")).isEqualTo(reason);
        assertThat(requests("PUT", path)).hasSize(1);
        assertThat(RECURLY.current(subscriptionId(id)).path("current_period_ends_at").asText()).isEqualTo(iso(target));
        assertThat(state(id)).isEqualTo("PARKED");
    }
}
