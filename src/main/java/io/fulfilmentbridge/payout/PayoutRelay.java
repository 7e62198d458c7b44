package io.fulfilmentbridge.payout;

import io.fulfilmentbridge.tracing.Spans;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.TextMessage;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox relay's send of one row (route payout-relay polls them), in one database transaction: the
 * row is deleted first, which locks it, so another bridge instance relaying the same row waits, then
 * finds it gone and sends nothing; then it is sent, and the delete commits only after the broker has
 * the message (a persistent send returns once the broker stored it). A failed send rolls the delete
 * back: the row is sent again at the next poll. A crash between the send and the commit leaves the row,
 * and the resend carries the same _AMQ_DUPL_ID, which the broker drops: the payout worker sees one
 * message per attempt. (Deleting after the send, outside a transaction, let two instances send the same
 * row at the same moment; the broker's duplicate detection does not catch two sends that race.)
 */
@Component
public class PayoutRelay {

    /** Artemis's duplicate detection header (docs/promises.md, The payout queue). */
    static final String DUPLICATE_ID = "_AMQ_DUPL_ID";
    /** W3C Trace Context's name: the payout worker may continue the delivery's trace from it. */
    static final String TRACEPARENT = "traceparent";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final JmsTemplate jms;
    private final String queue;
    private final Spans spans;

    /**
     * connectionFactory: the one the jms component uses. The template's session is not transacted: it
     * sends at once, inside the database transaction, rather than after its commit.
     */
    public PayoutRelay(JdbcTemplate jdbc, TransactionTemplate transaction, ConnectionFactory connectionFactory, CashSettings settings,
                Spans spans) {
        this.spans = spans;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.jms = new JmsTemplate(connectionFactory);
        this.jms.setSessionTransacted(false);
        this.jms.setExplicitQosEnabled(true);
        this.jms.setDeliveryMode(DeliveryMode.PERSISTENT);
        this.queue = settings.queue();
    }

    /**
     * One outbox row as the relay's poll read it (source, fulfilment_id, attempt, message, traceparent);
     * false when another instance took it. Sent in a span of the trace of the delivery that queued it,
     * whose context the message carries as property traceparent (docs/operations.md, Traces).
     */
    public boolean relay(Map<String, Object> row) {
        return spans.continueFrom((String) row.get("traceparent"), "payout relay", () -> send(row));
    }

    private boolean send(Map<String, Object> row) {
        String source = (String) row.get("source");
        long fulfilmentId = ((Number) row.get("fulfilment_id")).longValue();
        int attempt = ((Number) row.get("attempt")).intValue();
        String message = (String) row.get("message");
        String traceparent = spans.traceparent();
        return Boolean.TRUE.equals(transaction.execute(tx -> {
            if (jdbc.update("DELETE FROM payout_outbox WHERE source = ? AND fulfilment_id = ? AND attempt = ?", source, fulfilmentId, attempt) != 1) {
                return false;
            }
            jms.send(queue, session -> {
                TextMessage text = session.createTextMessage(message);
                // Payouts are legacy only (v2 cash is not acted on): the id needs no source.
                text.setStringProperty(DUPLICATE_ID, "fulfilment-" + fulfilmentId + "-" + attempt);
                if (traceparent != null) {
                    text.setStringProperty(TRACEPARENT, traceparent);
                }
                return text;
            });
            return true;
        }));
    }
}
