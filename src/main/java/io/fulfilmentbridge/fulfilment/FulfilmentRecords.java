package io.fulfilmentbridge.fulfilment;

import io.fulfilmentbridge.webhook.DeliveryReader;
import io.fulfilmentbridge.webhook.Fulfilment;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The fulfilments table: one row per fulfilment id, the claim that makes each grant happen at most
 * once. A delivery claims the id with a lease (state RECEIVED) before applying it; the grant then
 * moves the row to its final state in the same transaction as its effect, guarded by the lease.
 * A delivery of an id that is already settled answers what was decided; one that arrives while the
 * id is being applied waits for that, within the answer deadline.
 */
@Component("fulfilmentRecords")
public class FulfilmentRecords {

    public static final String LEASE = "lease";
    public static final String ATTEMPT = "attempt";
    /** The reason a stuck fulfilment is listed with; replayAllWithReason takes it like any other. */
    public static final String STUCK_REASON = "stuck: the delivery applying it stopped (crashed, or answered 503 and not sent again)";
    /** A RECEIVED fulfilment whose lease ran out before the parameter (now minus stuck-after): stuck. */
    private static final String STUCK = "state = 'RECEIVED' AND COALESCE(lease_until, updated_at) < ?";
    private static final BigDecimal COLUMN_LIMIT = new BigDecimal("1e29");
    private static final String INSERT_CLAIM = """
            INSERT INTO fulfilments (fulfilment_id, event_id, unit, amount, amount_received, promoter_id, customer_ref, email,
                received_status, state, lease_holder, lease_until, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?, ?, ?, ?)""";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final AnswerDeadline deadline;
    private final Duration lease;
    private final Duration stuckAfter;
    private final GroupCommit<Object[], Boolean> firstClaims;

    public FulfilmentRecords(JdbcTemplate jdbc, TransactionTemplate transaction, AnswerDeadline deadline, MeterRegistry meters,
                             @Value("${bridge.claim-lease:15s}") Duration lease,
                             @Value("${bridge.stuck-after:1h}") Duration stuckAfter,
                             @Value("${bridge.group-commit.batch-size:100}") int batchSize,
                             @Value("${bridge.group-commit.committers:2}") int committers) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.deadline = deadline;
        this.lease = lease;
        this.stuckAfter = stuckAfter;
        this.firstClaims = new GroupCommit<>("claims", batchSize, committers, meters, this::insertIfNew);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        firstClaims.stop();
    }

    /**
     * Claims the fulfilment for this delivery, or answers it from what was decided before (sets the
     * outcome property). Throws {@link RetryLater} when another delivery holds it past the deadline.
     */
    public void claim(Fulfilment fulfilment, Exchange exchange) throws Exception {
        String token = UUID.randomUUID().toString();
        Decision decision = claimWithOthers(fulfilment, token, exchange);
        while (true) {
            if (decision.claimed()) {
                exchange.setProperty(LEASE, token);
                exchange.setProperty(ATTEMPT, decision.attempt() + 1);
                return;
            }
            if (decision.outcome() != null) {
                exchange.setProperty("outcome", decision.outcome());
                exchange.setProperty("detail", decision.detail());
                return;
            }
            if (deadline.remainingMillis(exchange) < 200) {
                throw new RetryLater("fulfilment " + fulfilment.id() + " is being applied by another delivery; retry later");
            }
            Thread.sleep(50);
            decision = tryClaim(fulfilment, token);
        }
    }

    /** The first try: inserted together with the claims of deliveries arriving at the same time. */
    private Decision claimWithOthers(Fulfilment f, String token, Exchange exchange) throws Exception {
        Timestamp now = Timestamp.from(Instant.now());
        Timestamp until = Timestamp.from(Instant.now().plus(lease));
        try {
            if (firstClaims.commit(claimRow(f, token, until, now), deadline.remainingMillis(exchange))) {
                return Decision.CLAIMED_FIRST;
            }
            return transaction.execute(tx -> decideExisting(f, token, now, until));
        } catch (GroupCommit.NotCommitted alone) {
            return tryClaim(f, token);
        }
    }

    /** The parameters of INSERT_CLAIM. */
    private static Object[] claimRow(Fulfilment f, String token, Timestamp until, Timestamp now) {
        return new Object[] {f.id(), f.eventId(), unitColumn(f.unit()), amountColumn(f.amount()), f.amount().toPlainString(), f.promoterId(),
                f.custId(), f.email(), f.status(), token, until, now, now};
    }

    private List<Boolean> insertIfNew(List<Object[]> rows) {
        return transaction.execute(tx -> {
            int[] inserted = jdbc.batchUpdate(INSERT_CLAIM + " ON CONFLICT DO NOTHING", rows);
            List<Boolean> claimed = new ArrayList<>(inserted.length);
            for (int count : inserted) {
                if (count != 0 && count != 1) {
                    throw new IllegalStateException("the driver gave no row count for a claim");
                }
                claimed.add(count == 1);
            }
            return claimed;
        });
    }

    private Decision tryClaim(Fulfilment f, String token) {
        Timestamp now = Timestamp.from(Instant.now());
        Timestamp until = Timestamp.from(Instant.now().plus(lease));
        try {
            jdbc.update(INSERT_CLAIM, claimRow(f, token, until, now));
            return Decision.CLAIMED_FIRST;
        } catch (DuplicateKeyException alreadyThere) {
            return transaction.execute(tx -> decideExisting(f, token, now, until));
        }
    }

    private Decision decideExisting(Fulfilment f, String token, Timestamp now, Timestamp until) {
        List<Map<String, Object>> rows = jdbc.queryForList("""
                SELECT state, reason, attempt, payout_reference, lease_until IS NOT NULL AND lease_until > ? AS leased
                FROM fulfilments WHERE fulfilment_id = ? FOR UPDATE""", now, f.id());
        if (rows.isEmpty()) {
            return Decision.WAIT;
        }
        Map<String, Object> row = rows.get(0);
        String state = (String) row.get("state");
        int attempt = ((Number) row.get("attempt")).intValue();
        switch (state) {
            case "GRANTED":
                return Decision.answered("granted", "granted before: nothing applied again");
            case "PAID":
                return Decision.answered("granted", "payout paid before (reference " + row.get("payout_reference") + ")");
            case "QUEUED":
                return Decision.answered("queued", "payout queued before, not yet paid");
            case "FAILED":
                return Decision.answered("parked", String.valueOf(row.get("reason")));
            case "RECEIVED":
                if (Boolean.TRUE.equals(row.get("leased"))) {
                    return Decision.WAIT;
                }
                break;
            default:
                break;
        }
        // Parked, or abandoned by a delivery that crashed: evaluated afresh with this delivery's data. Its
        // answer tells FirstPromoter the outcome, so a notice a replay left due is no longer needed.
        jdbc.update("""
                UPDATE fulfilments SET event_id = ?, unit = ?, amount = ?, amount_received = ?, promoter_id = ?, customer_ref = ?, email = ?,
                    received_status = ?, state = 'RECEIVED', lease_holder = ?, lease_until = ?, updated_at = ?,
                    firstpromoter_notice = NULL
                WHERE fulfilment_id = ?""",
                f.eventId(), unitColumn(f.unit()), amountColumn(f.amount()), f.amount().toPlainString(), f.promoterId(), f.custId(), f.email(),
                f.status(), token, until, now, f.id());
        return new Decision(true, attempt, null, null);
    }

    /**
     * An operator's replay: claims a parked, failed or stuck fulfilment with what was stored of it, so
     * it is applied exactly once like a delivery (a failed payout gets a new attempt). A stuck one's
     * expired lease is taken over only by an update guarded on it, never a live one. Sets the body to
     * the stored fulfilment, or the outcome when there is nothing to replay.
     */
    public void claimForReplay(long fulfilmentId, Exchange exchange) {
        exchange.setProperty("fulfilmentId", fulfilmentId);
        String token = UUID.randomUUID().toString();
        Timestamp now = Timestamp.from(Instant.now());
        Timestamp until = Timestamp.from(Instant.now().plus(lease));
        Timestamp stuckBefore = Timestamp.from(now.toInstant().minus(stuckAfter));
        transaction.executeWithoutResult(tx -> {
            List<Map<String, Object>> rows = jdbc.queryForList("""
                    SELECT event_id, unit, amount, amount_received, received_status, promoter_id, customer_ref, email, state,
                        attempt, reason,\s""" + STUCK + """
                     AS stuck
                    FROM fulfilments WHERE fulfilment_id = ? FOR UPDATE""", stuckBefore, fulfilmentId);
            String state = rows.isEmpty() ? null : (String) rows.get(0).get("state");
            boolean stuck = !rows.isEmpty() && Boolean.TRUE.equals(rows.get(0).get("stuck"));
            if (!"PARKED".equals(state) && !"FAILED".equals(state) && !stuck) {
                exchange.setProperty("outcome", "ignored");
                exchange.setProperty("detail", "fulfilment " + fulfilmentId + (state == null ? " is unknown" : " is " + state)
                        + ("RECEIVED".equals(state) ? " (being applied, or its lease ran out less than bridge.stuck-after, " + stuckAfter + ", ago)" : "")
                        + ": only parked, failed or stuck ones are replayed");
                return;
            }
            Map<String, Object> row = rows.get(0);
            BigDecimal amount = amountToReplay(row);
            if (amount == null) {
                exchange.setProperty("outcome", "parked");
                exchange.setProperty("detail", "its amount as received was not kept: wait for a new delivery");
                return;
            }
            // No delivery answers a replay: once it is granted or paid, FirstPromoter is told (firstpromoter-notify).
            // Guarded as well as locked: only a parked, failed or stuck row is taken, never a live lease.
            int taken = jdbc.update("""
                    UPDATE fulfilments SET state = 'RECEIVED', lease_holder = ?, lease_until = ?, updated_at = ?,
                        firstpromoter_notice = 'DUE', firstpromoter_attempts = 0, firstpromoter_next_at = ?
                    WHERE fulfilment_id = ? AND (state IN ('PARKED', 'FAILED') OR\s""" + STUCK + ")",
                    token, until, now, now, fulfilmentId, stuckBefore);
            if (taken != 1) {
                exchange.setProperty("outcome", "ignored");
                exchange.setProperty("detail", "fulfilment " + fulfilmentId + " was taken by a delivery meanwhile: nothing replayed");
                return;
            }
            exchange.setProperty(LEASE, token);
            exchange.setProperty(ATTEMPT, ((Number) row.get("attempt")).intValue() + 1);
            String unit = (String) row.get("unit");
            exchange.setProperty("unitLabel", DeliveryReader.unitLabel(unit));
            exchange.getIn().setBody(new Fulfilment(fulfilmentId, (String) row.get("event_id"), unit, amount,
                    (String) row.get("received_status"), ((Number) row.get("promoter_id")).longValue(),
                    (String) row.get("customer_ref"), (String) row.get("email")));
        });
    }

    /**
     * The amount exactly as its delivery gave it. A row from before V5 has only the column cut to 8
     * decimals: it is used unless the fulfilment was parked for its amount, which the cut may have hidden.
     */
    private static BigDecimal amountToReplay(Map<String, Object> row) {
        String received = (String) row.get("amount_received");
        if (received != null) {
            return new BigDecimal(received);
        }
        String reason = (String) row.get("reason");
        return reason != null && reason.startsWith("amount out of bounds") ? null : (BigDecimal) row.get("amount");
    }

    /** Parked and failed fulfilments, oldest first. */
    public List<Map<String, Object>> parked() {
        return jdbc.queryForList("""
                SELECT fulfilment_id, unit, amount, state, reason, updated_at FROM fulfilments
                WHERE state IN ('PARKED', 'FAILED') ORDER BY updated_at, fulfilment_id""");
    }

    /** Parked, failed and stuck fulfilments as the operators' table shows them, oldest first. */
    public List<ParkedRow> parkedAndStuck() {
        return jdbc.query("""
                SELECT fulfilment_id, unit, amount_received, amount, state, reason, updated_at AS since FROM fulfilments
                WHERE state IN ('PARKED', 'FAILED')
                UNION ALL
                SELECT fulfilment_id, unit, amount_received, amount, 'stuck', NULL, COALESCE(lease_until, updated_at) FROM fulfilments
                WHERE\s""" + STUCK + " ORDER BY since, fulfilment_id", (rs, n) -> {
                    String state = rs.getString("state");
                    BigDecimal cut = rs.getBigDecimal("amount");
                    String received = rs.getString("amount_received");
                    return new ParkedRow(rs.getLong("fulfilment_id"), rs.getString("unit"),
                            received != null ? received : cut == null ? null : cut.toPlainString(), state,
                            rs.getTimestamp("since").toInstant(), "stuck".equals(state) ? STUCK_REASON : rs.getString("reason"));
                }, stuckBefore());
    }

    /** How many fulfilments are parked, failed or stuck. */
    public long parkedAndStuckCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE state IN ('PARKED', 'FAILED') OR " + STUCK,
                Long.class, stuckBefore());
    }

    /** Since when the oldest parked, failed or stuck fulfilment waits; null when none does. */
    public Instant oldestParkedOrStuckSince() {
        return jdbc.query("""
                SELECT MIN(CASE WHEN state = 'RECEIVED' THEN COALESCE(lease_until, updated_at) ELSE updated_at END)
                FROM fulfilments WHERE state IN ('PARKED', 'FAILED') OR\s""" + STUCK,
                rs -> rs.next() && rs.getTimestamp(1) != null ? rs.getTimestamp(1).toInstant() : null, stuckBefore());
    }

    private Timestamp stuckBefore() {
        return Timestamp.from(Instant.now().minus(stuckAfter));
    }

    public List<Long> parkedWithReason(String reason) {
        if (STUCK_REASON.equals(reason)) {
            return jdbc.queryForList("SELECT fulfilment_id FROM fulfilments WHERE " + STUCK
                    + " ORDER BY COALESCE(lease_until, updated_at), fulfilment_id", Long.class, stuckBefore());
        }
        return jdbc.queryForList("SELECT fulfilment_id FROM fulfilments WHERE state IN ('PARKED', 'FAILED') AND reason = ? "
                + "ORDER BY updated_at, fulfilment_id", Long.class, reason);
    }

    /** Parks the claimed fulfilment with the reason a person must read; outcome parked. */
    public void park(Exchange exchange) {
        Fulfilment f = exchange.getIn().getBody(Fulfilment.class);
        String reason = exchange.getProperty("parkReason", String.class);
        int updated = deadline.boundStatements(exchange, 0, () -> jdbc.update("""
                UPDATE fulfilments SET state = 'PARKED', reason = ?, lease_holder = NULL, lease_until = NULL, updated_at = ?
                WHERE fulfilment_id = ? AND lease_holder = ?""",
                cut(reason, 1000), Timestamp.from(Instant.now()), f.id(), exchange.getProperty(LEASE, String.class)));
        requireLease(updated, f.id());
        exchange.setProperty("outcome", "parked");
        exchange.setProperty("detail", reason);
    }

    /** Marks the claimed fulfilment granted; call inside the transaction that applied the grant. */
    public void markGranted(long fulfilmentId, String leaseToken) {
        int updated = jdbc.update("""
                UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, lease_until = NULL, updated_at = ?
                WHERE fulfilment_id = ? AND lease_holder = ?""",
                Timestamp.from(Instant.now()), fulfilmentId, leaseToken);
        requireLease(updated, fulfilmentId);
    }

    /** After a failure, lets the next delivery take the fulfilment over at once instead of waiting out the lease. */
    public void release(Exchange exchange) {
        String token = exchange.getProperty(LEASE, String.class);
        Long id = exchange.getProperty("fulfilmentId", Long.class);
        if (token == null || id == null) {
            return;
        }
        try {
            // Bounded: the answer is waiting for this, and a hung database must not hold it.
            deadline.boundStatements(exchange, AnswerDeadline.CLEAN_UP_MILLIS, () -> jdbc.update(
                    "UPDATE fulfilments SET lease_until = ? WHERE fulfilment_id = ? AND lease_holder = ? AND state = 'RECEIVED'",
                    Timestamp.from(Instant.now()), id, token));
        } catch (RuntimeException databaseDown) {
            // The lease runs out by itself.
        }
    }

    static void requireLease(int updated, long fulfilmentId) {
        if (updated != 1) {
            throw new RetryLater("fulfilment " + fulfilmentId + " was taken over by another delivery; retry later");
        }
    }

    private static String unitColumn(String unit) {
        return cut(unit, 64);
    }

    /** The amount as the column holds it; one outside DECIMAL(38, 8) is parked anyway and kept as null. */
    private static BigDecimal amountColumn(BigDecimal amount) {
        if (amount.abs().compareTo(COLUMN_LIMIT) >= 0) {
            return null;
        }
        return amount.scale() > 8 ? amount.setScale(8, RoundingMode.DOWN) : amount;
    }

    private static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    private record Decision(boolean claimed, int attempt, String outcome, String detail) {
        static final Decision CLAIMED_FIRST = new Decision(true, 0, null, null);
        static final Decision WAIT = new Decision(false, 0, null, null);

        static Decision answered(String outcome, String detail) {
            return new Decision(false, 0, outcome, detail);
        }
    }
}
