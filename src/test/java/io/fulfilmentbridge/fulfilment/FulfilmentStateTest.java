package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.DENIED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.FAILED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.GRANTED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.PAID;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.PARKED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.QUEUED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.RECEIVED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.REVERSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The transition table of a fulfilment's record (docs/design.md, The fulfilment's lifecycle): every
 * move allowed is listed here, and FulfilmentLifecycle refuses any other before a statement runs.
 */
class FulfilmentStateTest {

    private static final Map<FulfilmentState, Set<FulfilmentState>> ALLOWED = Map.of(
            RECEIVED, EnumSet.of(RECEIVED, GRANTED, QUEUED, PARKED, DENIED, REVERSED),
            GRANTED, EnumSet.of(REVERSED),
            QUEUED, EnumSet.of(PAID, FAILED, REVERSED),
            PAID, EnumSet.of(REVERSED),
            FAILED, EnumSet.of(RECEIVED, PAID, REVERSED),
            PARKED, EnumSet.of(RECEIVED, DENIED, REVERSED),
            DENIED, EnumSet.of(RECEIVED, DENIED),
            REVERSED, EnumSet.noneOf(FulfilmentState.class));

    private static final FulfilmentKey KEY = new FulfilmentKey(Source.COMMISSION, 901);
    private static final Timestamp NOW = Timestamp.from(Instant.parse("2026-01-05T10:00:00Z"));

    @Test
    void theTableAllowsExactlyTheListedMoves() {
        assertThat(ALLOWED.keySet()).containsExactlyInAnyOrder(FulfilmentState.values());
        List<String> allowed = new ArrayList<>();
        for (FulfilmentState from : FulfilmentState.values()) {
            for (FulfilmentState to : FulfilmentState.values()) {
                if (from.mayMoveTo(to)) {
                    allowed.add(from + " -> " + to);
                }
            }
        }
        List<String> listed = new ArrayList<>();
        ALLOWED.forEach((from, tos) -> tos.forEach(to -> listed.add(from + " -> " + to)));
        assertThat(allowed).containsExactlyInAnyOrderElementsOf(listed);
    }

    @Test
    void aRecordIsFirstWrittenReceivedGrantedQueuedOrDenied() {
        assertThat(EnumSet.allOf(FulfilmentState.class).stream().filter(FulfilmentState::mayBeFirst))
                .containsExactlyInAnyOrder(RECEIVED, GRANTED, QUEUED, DENIED);
    }

    @Test
    void aReversedRecordNeverMovesAgain() {
        for (FulfilmentState to : FulfilmentState.values()) {
            assertThat(REVERSED.mayMoveTo(to)).as("REVERSED -> " + to).isFalse();
            assertThatThrownBy(() -> FulfilmentLifecycle.move(KEY, to, NOW).from(REVERSED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("a fulfilment never moves from REVERSED to " + to);
        }
    }

    @Test
    void forbiddenMovesAreRefusedLoudly() {
        assertThatThrownBy(() -> FulfilmentLifecycle.move(KEY, RECEIVED, NOW).from(GRANTED))
                .isInstanceOf(IllegalStateException.class).hasMessage("a fulfilment never moves from GRANTED to RECEIVED");
        assertThatThrownBy(() -> FulfilmentLifecycle.move(KEY, QUEUED, NOW).from(PAID))
                .isInstanceOf(IllegalStateException.class).hasMessage("a fulfilment never moves from PAID to QUEUED");
        assertThatThrownBy(() -> FulfilmentLifecycle.move(KEY, GRANTED, NOW).from(PARKED))
                .isInstanceOf(IllegalStateException.class).hasMessage("a fulfilment never moves from PARKED to GRANTED");
        assertThatThrownBy(() -> FulfilmentLifecycle.move(KEY, FAILED, NOW).from(QUEUED, FAILED))
                .isInstanceOf(IllegalStateException.class).hasMessage("a fulfilment never moves from FAILED to FAILED");
        assertThatThrownBy(() -> FulfilmentLifecycle.move(KEY, PARKED, NOW).sql())
                .isInstanceOf(IllegalStateException.class).hasMessage("a move to PARKED names the states it is from");
    }

    @Test
    void aMoveBindsItsStatesAndOnlyAMoveToGrantedMakesTheNoticeDue() {
        FulfilmentLifecycle.Move paid = FulfilmentLifecycle.move(KEY, PAID, NOW).from(QUEUED, FAILED).set("payout_reference", "po_1");
        assertThat(paid.sql()).isEqualTo("UPDATE fulfilments SET state = ?, payout_reference = ?, updated_at = ? "
                + "WHERE source = ? AND fulfilment_id = ? AND state IN (?, ?)");
        assertThat(paid.params()).containsExactly("PAID", "po_1", NOW, "v2", 901L, "QUEUED", "FAILED");

        FulfilmentLifecycle.Move granted = FulfilmentLifecycle.move(KEY, GRANTED, NOW).from(RECEIVED).where("lease_holder = ?", "token");
        assertThat(granted.sql()).contains("firstpromoter_notice = CASE WHEN source = 'v2' OR reconciled_at IS NOT NULL THEN 'DUE'")
                .endsWith("WHERE source = ? AND fulfilment_id = ? AND state IN (?) AND (lease_holder = ?)");
        assertThat(granted.params()).containsExactly("GRANTED", NOW, NOW, null, "v2", 901L, "RECEIVED", "token");
        // With the trace that granted it: kept for the notice's call (docs/operations.md, Traces).
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assertThat(granted.sql()).contains("firstpromoter_traceparent = CASE WHEN source = 'v2' OR reconciled_at IS NOT NULL THEN ?");
        assertThat(granted.inTrace(traceparent).params()).containsExactly("GRANTED", NOW, NOW, traceparent, "v2", 901L, "RECEIVED", "token");
    }
}
