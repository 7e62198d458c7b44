package bench.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The hand-written peer of the benchmark: a plain Spring MVC controller and JdbcTemplate doing what the
 * bridge does for credits, against the bridge's schema: check the secret, read the delivery, claim the
 * fulfilment id with a lease (its own commit), then the GRANTED state guarded by the lease and the two
 * ledger entries in one transaction. A settled id answers what was decided. Credits and points only.
 */
@SpringBootApplication
@RestController
public class PeerApplication {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final ObjectMapper json = new ObjectMapper();
    private final String secret;
    private final Duration lease;
    private final BigDecimal maxCredits;

    public PeerApplication(JdbcTemplate jdbc, TransactionTemplate transaction,
                           @Value("${peer.secret}") String secret,
                           @Value("${peer.claim-lease}") Duration lease,
                           @Value("${peer.max-credits}") BigDecimal maxCredits) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.secret = secret;
        this.lease = lease;
        this.maxCredits = maxCredits;
    }

    public static void main(String[] args) {
        SpringApplication.run(PeerApplication.class, args);
    }

    @GetMapping("/ready")
    public String ready() {
        return "ready";
    }

    @PostMapping("/webhooks/firstpromoter/fulfilment")
    public ResponseEntity<Map<String, Object>> fulfil(@RequestParam(name = "token", required = false) String token,
                                                      @RequestBody byte[] body) {
        if (!secret.equals(token)) {
            return answer(401, null, "unauthorized", "missing or wrong secret");
        }
        JsonNode delivery;
        try {
            delivery = json.readTree(body);
        } catch (Exception e) {
            return answer(400, null, "rejected", "malformed JSON");
        }
        if (!"fulfilment_pending".equals(delivery.path("event").path("type").asText())) {
            return answer(202, null, "ignored", "not a fulfilment_pending event; nothing done");
        }
        JsonNode data = delivery.path("data");
        long id = data.path("id").asLong();
        long promoterId = data.path("promoter").path("id").asLong();
        String unit = data.path("unit").asText(null);
        BigDecimal amount;
        try {
            amount = new BigDecimal(data.path("amount").asText());
        } catch (NumberFormatException e) {
            amount = null;
        }
        if (id <= 0 || promoterId <= 0 || unit == null || amount == null) {
            return answer(400, id, "rejected", "a required field is missing");
        }
        if (!unit.equals("credits") && !unit.equals("points")) {
            return answer(202, id, "parked", "the peer applies credits and points only");
        }
        String custId = data.path("promoter").path("cust_id").asText(null);
        String account = custId != null ? custId : "fp-promoter:" + promoterId;
        String holder = UUID.randomUUID().toString();
        Timestamp now = Timestamp.from(Instant.now());
        try {
            try {
                jdbc.update("""
                        INSERT INTO fulfilments (fulfilment_id, event_id, unit, amount, promoter_id, customer_ref, email,
                            received_status, state, lease_holder, lease_until, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?, ?, ?, ?)""",
                        id, delivery.path("event").path("id").asText(null), unit, amount, promoterId, custId,
                        data.path("promoter").path("email").asText(null), data.path("status").asText(null),
                        holder, Timestamp.from(now.toInstant().plus(lease)), now, now);
            } catch (DuplicateKeyException settledOrBusy) {
                List<String> states = jdbc.queryForList("SELECT state FROM fulfilments WHERE fulfilment_id = ?", String.class, id);
                if (!states.isEmpty() && states.get(0).equals("GRANTED")) {
                    return answer(200, id, "granted", "granted before: nothing applied again");
                }
                return answer(503, id, "retry", "being applied by another delivery; retry later");
            }
            if (amount.signum() <= 0 || amount.compareTo(maxCredits) > 0) {
                jdbc.update("UPDATE fulfilments SET state = 'PARKED', reason = ?, lease_holder = NULL, lease_until = NULL, "
                        + "updated_at = CURRENT_TIMESTAMP WHERE fulfilment_id = ? AND lease_holder = ?", "amount out of bounds", id, holder);
                return answer(202, id, "parked", "amount out of bounds");
            }
            BigDecimal credited = amount;
            Boolean granted = transaction.execute(tx -> {
                int updated = jdbc.update("UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, "
                        + "lease_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE fulfilment_id = ? AND lease_holder = ?", id, holder);
                if (updated != 1) {
                    return false;
                }
                jdbc.update("INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount) VALUES (?, 'PROMOTER', ?, ?, ?)",
                        id, account, unit, credited);
                jdbc.update("INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount) VALUES (?, 'FUNDING', ?, ?, ?)",
                        id, unit, unit, credited.negate());
                return true;
            });
            if (!Boolean.TRUE.equals(granted)) {
                return answer(503, id, "retry", "taken over by another delivery; retry later");
            }
            return answer(200, id, "granted", "credited " + amount.toPlainString() + " " + unit + " to " + account);
        } catch (DataAccessException databaseFailed) {
            return answer(503, id, "retry", "the database failed; nothing was applied");
        }
    }

    private static ResponseEntity<Map<String, Object>> answer(int status, Long id, String outcome, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("fulfilment_id", id);
        body.put("outcome", outcome);
        body.put("detail", detail);
        return ResponseEntity.status(status).body(body);
    }
}
