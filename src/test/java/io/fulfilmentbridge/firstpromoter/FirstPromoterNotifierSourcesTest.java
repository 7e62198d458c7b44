package io.fulfilmentbridge.firstpromoter;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Route firstpromoter-notify reads a kind's rows only when that kind's key is set: the notifier names
 * the sources its query matches. Built without records, so an attempt to tell anything would fail.
 */
class FirstPromoterNotifierSourcesTest {

    @Test
    void eachKindIsReadOnlyWithItsOwnKey() {
        FirstPromoterNotifier v1Only = notifier("fp_v1", "");
        assertThat(v1Only.enabled()).isTrue();
        assertThat(v1Only.legacySource()).isEqualTo("v1");
        assertThat(v1Only.commissionSource()).isEqualTo("none");
        // A v2 row that is due anyway (the key was removed since) is left as it is: no records touched, no call.
        v1Only.tell("v2", 48213, 0);

        FirstPromoterNotifier v2Only = notifier("", "fp_v2");
        assertThat(v2Only.enabled()).isTrue();
        assertThat(v2Only.legacySource()).isEqualTo("none");
        assertThat(v2Only.commissionSource()).isEqualTo("v2");
        v2Only.tell("v1", 48213, 0);

        FirstPromoterNotifier both = notifier("fp_v1", "fp_v2");
        assertThat(both.legacySource()).isEqualTo("v1");
        assertThat(both.commissionSource()).isEqualTo("v2");

        assertThat(notifier("", "").enabled()).as("no route without a key").isFalse();
    }

    private static FirstPromoterNotifier notifier(String v1Key, String v2Key) {
        return new FirstPromoterNotifier(null, new SimpleMeterRegistry(), new FirstPromoterSettings("legacy", v1Key,
                "http://127.0.0.1:9", v2Key, v2Key.isEmpty() ? "" : "acc", "http://127.0.0.1:9", Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(5), 6, Duration.ofMinutes(1), Duration.ofHours(24), Duration.ofMinutes(5), 200), null,
                io.fulfilmentbridge.tracing.Spans.off(), null);
    }
}
