package io.fulfilmentbridge.recurly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Recurly adapter's rules that need no bridge: its settings, the date arithmetic, no key no call. */
class RecurlyRulesTest {

    private static RecurlySettings settings(String apiKey, String markerField) {
        return new RecurlySettings(apiKey, "https://v3.recurly.com", markerField, Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    @Test
    void withoutAKeyEveryGrantIsParkedAsNotConfigured() throws InterruptedException {
        RecurlySettings settings = settings("", "firstpromoter_grant");
        RecurlyBilling billing = new RecurlyBilling(new RecurlyCalls(settings, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), io.fulfilmentbridge.tracing.Spans.off()), null, null, settings);
        Fulfilment f = new Fulfilment(FulfilmentKey.pending(7), "e1", "free_months", BigDecimal.ONE, "pending", 1,
                "app-user-7", "jane@example.org");
        Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));

        GrantResult result = billing.grantFreeMonths(f, null, deadline);

        assertThat(result.granted()).isFalse();
        assertThat(result.detail()).isEqualTo("Recurly not configured (bridge.recurly.api-key)");
        assertThat(billing.grantDiscount(f, null, deadline).detail()).isEqualTo("Recurly not configured (bridge.recurly.api-key)");
    }

    @Test
    void theKeyIsMaskedAndTheMarkerFieldMustBeARecurlyFieldName() {
        assertThat(settings("a-private-key", "firstpromoter_grant").toString()).doesNotContain("a-private-key").contains("[set]");
        assertThat(settings("", "").markerField()).isEmpty();
        assertThatThrownBy(() -> settings("k", "has space")).hasMessageContaining("bridge.recurly.marker-field");
    }

    @ParameterizedTest
    @CsvSource({
            // now, next bill date, trial end (or empty), months, target
            "2026-12-02T10:00:00Z, 2026-12-20T08:00:00Z, , 2, 2027-02-20T08:00:00Z",
            "2026-12-02T10:00:00Z, 2027-01-31T09:30:00Z, , 1, 2027-02-28T09:30:00Z",
            "2026-12-02T10:00:00Z, 2028-01-31T09:30:00Z, , 1, 2028-02-29T09:30:00Z",
            "2026-12-02T10:00:00Z, 2026-12-10T00:00:00Z, 2027-01-15T00:00:00Z, 3, 2027-04-15T00:00:00Z",
            // A next bill date already past (a renewal not yet run): from now.
            "2026-12-02T10:00:00Z, 2026-11-30T00:00:00Z, , 1, 2027-01-02T10:00:00Z"})
    void theNextBillDateIsTheMonthsAfterTheLatestOfNowTheNextBillAndTheTrialEnd(Instant now, Instant nextBill,
                                                                                 Instant trialEnd, int months, Instant target) {
        assertThat(RecurlyBilling.nextBillDate(now, nextBill, trialEnd, months)).isEqualTo(target);
    }
}
