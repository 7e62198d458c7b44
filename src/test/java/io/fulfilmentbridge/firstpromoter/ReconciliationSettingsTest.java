package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** bridge.reconciliation.*, checked at start-up: on by default exactly when the inbound kind's API key is set. */
class ReconciliationSettingsTest {

    private static ReconciliationSettings enabled(Boolean enabled) {
        return new ReconciliationSettings(enabled, Duration.ofMinutes(15), Duration.ofMinutes(30), null, null);
    }

    @Test
    void onByDefaultWithTheInboundKindsKeyAndOffWithout() {
        assertThat(enabled(null).runsWith(true, "bridge.firstpromoter.v1-api-key")).isTrue();
        assertThat(enabled(null).runsWith(false, "bridge.firstpromoter.v1-api-key")).isFalse();
        assertThat(enabled(false).runsWith(true, "bridge.firstpromoter.api-key")).isFalse();
    }

    @Test
    void onWithoutTheKeyStopsTheStartUpNamingIt() {
        assertThatThrownBy(() -> enabled(true).runsWith(false, "bridge.firstpromoter.api-key"))
                .hasMessage("bridge.reconciliation.enabled is true but bridge.firstpromoter.api-key is not set: "
                        + "FirstPromoter's lists of open rewards are read with it");
    }

    @Test
    void wrongValuesAreNamed() {
        assertThatThrownBy(() -> new ReconciliationSettings(null, Duration.ZERO, Duration.ofMinutes(30), null, null))
                .hasMessage("bridge.reconciliation.interval must be more than 0, was PT0S");
        assertThatThrownBy(() -> new ReconciliationSettings(null, Duration.ofMinutes(15), Duration.ofMinutes(-1), null, null))
                .hasMessage("bridge.reconciliation.grace must not be negative, was PT-1M");
        assertThatThrownBy(() -> new ReconciliationSettings(null, Duration.ofMinutes(15), Duration.ofMinutes(30), null, List.of(0L)))
                .hasMessageStartingWith("bridge.reconciliation.campaign-ids holds FirstPromoter campaign ids");
        assertThat(new ReconciliationSettings(null, Duration.ofMinutes(15), Duration.ofMinutes(30), null, Arrays.asList(31L, 32L))
                .campaignIds()).containsExactly(31L, 32L);
    }
}
