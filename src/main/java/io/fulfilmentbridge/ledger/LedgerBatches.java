package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.AnswerDeadline;
import io.fulfilmentbridge.fulfilment.FulfilmentRecords;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.webhook.Fulfilment;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionException;

/**
 * Group commit for credits and points: the grants of deliveries that arrive together are booked in one
 * transaction (route ledger-batch) instead of one each, so a burst costs the database one commit per
 * batch. Each delivery waits for the batch that holds its grant and is answered by its outcome. A batch
 * that fails for one grant's sake (its lease lost, a row refused) is booked again one grant at a time,
 * so the others still commit; an unreachable database fails the whole batch at once.
 */
@Component("ledgerBatches")
public class LedgerBatches {

    static final String ROUTE = "direct:ledger-batch";

    private final ProducerTemplate producer;
    private final AnswerDeadline deadline;
    private final int batchSize;
    private final BlockingQueue<Grant> waiting = new LinkedBlockingQueue<>();
    private final ExecutorService committers;
    private volatile boolean running = true;

    public LedgerBatches(ProducerTemplate producer, AnswerDeadline deadline,
                         @Value("${bridge.ledger.batch-size:100}") int batchSize,
                         @Value("${bridge.ledger.committers:2}") int committers) {
        this.producer = producer;
        this.deadline = deadline;
        this.batchSize = batchSize;
        AtomicInteger number = new AtomicInteger();
        this.committers = Executors.newFixedThreadPool(committers, task -> {
            Thread thread = new Thread(task, "ledger-batch-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < committers; i++) {
            this.committers.execute(this::commitWhileRunning);
        }
    }

    /** Books the claimed fulfilment's two ledger entries and its GRANTED state; returns once they are committed. */
    public void book(Fulfilment fulfilment, Exchange exchange) throws Exception {
        Map<String, Object> entries = new HashMap<>();
        entries.put("id", fulfilment.id());
        entries.put("lease", exchange.getProperty(FulfilmentRecords.LEASE, String.class));
        entries.put("account", fulfilment.ledgerAccount());
        entries.put("unit", fulfilment.unit());
        entries.put("amount", fulfilment.amount());
        entries.put("debit", fulfilment.amount().negate());
        Grant grant = new Grant(entries, new CompletableFuture<>());
        if (!running) {
            throw new RetryLater("the bridge is stopping; retry later");
        }
        waiting.add(grant);
        try {
            grant.committed().get(Math.max(deadline.remainingMillis(exchange), 1), TimeUnit.MILLISECONDS);
        } catch (ExecutionException failed) {
            throw failed.getCause() instanceof Exception e ? e : failed;
        } catch (TimeoutException late) {
            // Not yet taken into a batch: it never will be. Already in one: its commit is guarded by the lease,
            // so a later delivery finds it granted or takes it over; nothing is booked twice.
            grant.committed().cancel(false);
            throw new RetryLater("the ledger did not commit within the answer deadline; retry later");
        }
    }

    private void commitWhileRunning() {
        while (running) {
            try {
                Grant first = waiting.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Grant> batch = new ArrayList<>();
                batch.add(first);
                waiting.drainTo(batch, batchSize - 1);
                batch.removeIf(grant -> grant.committed().isDone());
                if (!batch.isEmpty()) {
                    commit(batch);
                }
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException unexpected) {
                // Each grant of the batch was completed in commit(); keep committing.
            }
        }
    }

    private void commit(List<Grant> batch) {
        List<Map<String, Object>> entries = batch.stream().map(Grant::entries).toList();
        Exchange done = producer.send(ROUTE, ExchangePattern.InOnly, exchange -> exchange.getIn().setBody(entries));
        Exception failure = done.getException();
        if (failure == null) {
            batch.forEach(grant -> grant.committed().complete(null));
        } else if (batch.size() == 1 || databaseUnreachable(failure)) {
            batch.forEach(grant -> grant.committed().completeExceptionally(failure));
        } else {
            batch.forEach(grant -> commit(List.of(grant)));
        }
    }

    private static boolean databaseUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DataAccessResourceFailureException || t instanceof TransactionException) {
                return true;
            }
        }
        return false;
    }

    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        committers.shutdown();
        committers.awaitTermination(10, TimeUnit.SECONDS);
        for (Grant grant; (grant = waiting.poll()) != null; ) {
            grant.committed().completeExceptionally(new RetryLater("the bridge is stopping; retry later"));
        }
    }

    private record Grant(Map<String, Object> entries, CompletableFuture<Void> committed) {
    }
}
