package io.fulfilmentbridge.fulfilment;

import static io.fulfilmentbridge.fulfilment.FulfilmentState.RECEIVED;
import static io.fulfilmentbridge.fulfilment.FulfilmentState.REVERSED;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;

/**
 * What waits for an operator, read from the fulfilments' records: parked and failed ones, reversed
 * ones to review, stuck ones (a RECEIVED record whose lease ran out more than bridge.stuck-after ago),
 * and the counts by unit and state.
 */
@Component
public class OperatorQueries {

    /** The reason a stuck fulfilment is listed with; replayAllWithReason takes it like any other. */
    public static final String STUCK_REASON = "stuck: the delivery applying it stopped (crashed, or answered 503 and not sent again)";
    /** The listed reason, with the operator's reason for the reversal when there is one. */
    private static final String LISTED_REASON =
            "CASE WHEN reversal_note IS NULL THEN reason ELSE reason || ' (reversal: ' || reversal_note || ')' END";
    private static final String WAITING_OR_TO_REVIEW = Columns.WAITS_FOR_OPERATOR + " OR " + Columns.REVERSED_TO_REVIEW;

    private final JdbcTemplate jdbc;
    private final DatabaseClock clock;
    private final Duration stuckAfter;

    OperatorQueries(JdbcTemplate jdbc, DatabaseClock clock, FulfilmentSettings settings) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.stuckAfter = settings.stuckAfter();
    }

    /** Parked and failed fulfilments, and reversed ones to review, oldest first. */
    public List<Map<String, Object>> parked() {
        return jdbc.queryForList("SELECT source, fulfilment_id, unit, amount, state, " + LISTED_REASON + " AS reason, updated_at "
                + "FROM fulfilments WHERE " + WAITING_OR_TO_REVIEW + " ORDER BY updated_at, fulfilment_id, source", waitingOrToReview());
    }

    /**
     * Parked, failed, reversed to review and stuck fulfilments as the operators' table shows them,
     * oldest first. Reversed ones are listed, not counted in the parked gauge: like payout anomalies,
     * they need a look, not a replay.
     */
    public List<ParkedRow> parkedAndStuck() {
        return jdbc.query("SELECT source, fulfilment_id, unit, amount_received, amount, state, " + LISTED_REASON + """
                 AS reason, updated_at AS since FROM fulfilments
                WHERE\s""" + WAITING_OR_TO_REVIEW + """

                UNION ALL
                SELECT source, fulfilment_id, unit, amount_received, amount, 'stuck', NULL, COALESCE(lease_until, updated_at)
                FROM fulfilments WHERE\s""" + Columns.STUCK + " ORDER BY since, fulfilment_id, source", (rs, n) -> {
                    String state = rs.getString("state");
                    BigDecimal cut = rs.getBigDecimal("amount");
                    String received = rs.getString("amount_received");
                    return new ParkedRow(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id"), rs.getString("unit"),
                            received != null ? received : cut == null ? null : cut.toPlainString(), state,
                            rs.getTimestamp("since").toInstant(), "stuck".equals(state) ? STUCK_REASON : rs.getString("reason"));
                }, Columns.join(waitingOrToReview(), stuck()));
    }

    /** How many fulfilments are parked, failed or stuck. */
    public long parkedAndStuckCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE " + Columns.WAITS_FOR_OPERATOR + " OR " + Columns.STUCK,
                Long.class, Columns.join(Columns.waitingForOperator(), stuck()));
    }

    /** Since when the oldest parked, failed or stuck fulfilment waits; null when none does. */
    public Instant oldestParkedOrStuckSince() {
        return jdbc.query("""
                SELECT MIN(CASE WHEN state = ? THEN COALESCE(lease_until, updated_at) ELSE updated_at END)
                FROM fulfilments WHERE\s""" + Columns.WAITS_FOR_OPERATOR + " OR " + Columns.STUCK,
                rs -> rs.next() && rs.getTimestamp(1) != null ? rs.getTimestamp(1).toInstant() : null,
                Columns.join(new Object[] {RECEIVED.name()}, Columns.waitingForOperator(), stuck()));
    }

    /** The keys (each with its source) of the fulfilments parked or failed with this reason, or stuck, oldest first. */
    public List<FulfilmentKey> parkedWithReason(String reason) {
        RowMapper<FulfilmentKey> key = (rs, n) -> new FulfilmentKey(Source.ofColumn(rs.getString("source")), rs.getLong("fulfilment_id"));
        return STUCK_REASON.equals(reason)
                ? jdbc.query("SELECT source, fulfilment_id FROM fulfilments WHERE " + Columns.STUCK
                        + " ORDER BY COALESCE(lease_until, updated_at), fulfilment_id, source", key, stuck())
                : jdbc.query("SELECT source, fulfilment_id FROM fulfilments WHERE " + Columns.WAITS_FOR_OPERATOR + " AND reason = ? "
                        + "ORDER BY updated_at, fulfilment_id, source", key, Columns.join(Columns.waitingForOperator(), new Object[] {reason}));
    }

    /** Fulfilments by unit and state. */
    public List<String> counts() {
        return jdbc.queryForList("SELECT unit, state, COUNT(*) AS n FROM fulfilments GROUP BY unit, state ORDER BY unit, state")
                .stream().map(r -> r.get("unit") + " " + r.get("state") + " " + r.get("n")).toList();
    }

    private Object[] stuck() {
        return Columns.stuck(clock.now().minus(stuckAfter));
    }

    private static Object[] waitingOrToReview() {
        return Columns.join(Columns.waitingForOperator(), new Object[] {REVERSED.name()});
    }
}
