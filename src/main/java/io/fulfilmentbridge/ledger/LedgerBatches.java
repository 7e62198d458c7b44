package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.AnswerDeadline;
import io.fulfilmentbridge.fulfilment.FulfilmentRecords;
import io.fulfilmentbridge.fulfilment.GroupCommit;
import io.fulfilmentbridge.webhook.Fulfilment;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Credits and points in groups: the grants of deliveries that arrive together are booked in one
 * transaction (route ledger-batch). A batch that fails, maybe for one grant's sake (its lease lost, a
 * row refused), is booked again one grant at a time by each delivery, so the others still commit.
 */
@Component("ledgerBatches")
public class LedgerBatches {

    private final ProducerTemplate producer;
    private final AnswerDeadline deadline;
    private final GroupCommit<Map<String, Object>, Void> grants;

    public LedgerBatches(ProducerTemplate producer, AnswerDeadline deadline, MeterRegistry meters,
                         @Value("${bridge.group-commit.batch-size:100}") int batchSize,
                         @Value("${bridge.group-commit.committers:2}") int committers) {
        this.producer = producer;
        this.deadline = deadline;
        this.grants = new GroupCommit<>("ledger", batchSize, committers, meters, this::bookTogether);
    }

    /** Books the claimed fulfilment's two ledger entries and its GRANTED state; returns once they are committed. */
    public void book(Fulfilment fulfilment, Exchange exchange) throws Exception {
        Map<String, Object> grant = new HashMap<>();
        grant.put("id", fulfilment.id());
        grant.put("lease", exchange.getProperty(FulfilmentRecords.LEASE, String.class));
        grant.put("account", fulfilment.ledgerAccount());
        grant.put("unit", fulfilment.unit());
        grant.put("amount", fulfilment.amount());
        grant.put("debit", fulfilment.amount().negate());
        try {
            grants.commit(grant, deadline.remainingMillis(exchange));
        } catch (GroupCommit.NotCommitted alone) {
            bookTogether(List.of(grant));
        }
    }

    private List<Void> bookTogether(List<Map<String, Object>> batch) throws Exception {
        Exchange done = producer.send("direct:ledger-batch", ExchangePattern.InOnly, exchange -> exchange.getIn().setBody(batch));
        if (done.getException() != null) {
            throw done.getException();
        }
        return Collections.nCopies(batch.size(), null);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        grants.stop();
    }
}
