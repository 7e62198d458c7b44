package io.fulfilmentbridge.fulfilment;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.TransactionException;

/**
 * Group commit: what concurrent deliveries write is committed in batches, one transaction each, by a
 * few committer threads; each delivery waits for the batch that holds its item. While one batch
 * commits the next one gathers, so a burst costs the database one commit per batch, not per delivery.
 */
public final class GroupCommit<T, R> {

    /** Writes a batch in one transaction and returns each item's result, in order. */
    public interface Batch<T, R> {
        List<R> commit(List<T> items) throws Exception;
    }

    /** The batch failed, maybe for one item's sake: the caller writes its item alone. */
    public static final class NotCommitted extends Exception {
        NotCommitted(Throwable cause) {
            super("the batch was not committed", cause, false, false);
        }
    }

    private final Batch<T, R> batch;
    private final DistributionSummary batchSizes;
    private final int batchSize;
    private final BlockingQueue<Item<T, R>> waiting = new LinkedBlockingQueue<>();
    private final ExecutorService committers;
    private volatile boolean running = true;

    /** writes: what the batches hold, the tag of metric bridge_group_commit_batch_size. */
    public GroupCommit(String writes, int batchSize, int committers, MeterRegistry meters, Batch<T, R> batch) {
        this.batch = batch;
        this.batchSizes = DistributionSummary.builder("bridge.group.commit.batch.size")
                .description("Writes of concurrent deliveries committed in one transaction").tag("writes", writes)
                .register(meters);
        this.batchSize = batchSize;
        AtomicInteger number = new AtomicInteger();
        this.committers = Executors.newFixedThreadPool(committers, task -> {
            Thread thread = new Thread(task, writes + "-batch-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < committers; i++) {
            this.committers.execute(this::commitWhileRunning);
        }
    }

    /**
     * Commits the item with others and returns its result. Throws what failed the batch when the
     * database is unreachable, {@link NotCommitted} when the item should be written alone, and
     * {@link RetryLater} when its batch did not commit within waitMillis.
     */
    public R commit(T item, long waitMillis) throws Exception {
        Item<T, R> waiter = new Item<>(item, new CompletableFuture<>());
        if (!running) {
            throw new RetryLater("the bridge is stopping; retry later");
        }
        waiting.add(waiter);
        try {
            return waiter.result().get(Math.max(waitMillis, 1), TimeUnit.MILLISECONDS);
        } catch (ExecutionException failed) {
            throw failed.getCause() instanceof Exception e ? e : failed;
        } catch (TimeoutException late) {
            // Not yet in a batch: it never will be. Already in one and committed late: a claim is a
            // lease nobody holds, which runs out; a grant was guarded by its lease. Nothing is applied twice.
            waiter.result().cancel(false);
            throw new RetryLater("the database did not commit within the answer deadline; retry later");
        }
    }

    private void commitWhileRunning() {
        while (running) {
            try {
                Item<T, R> first = waiting.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Item<T, R>> items = new ArrayList<>();
                items.add(first);
                waiting.drainTo(items, batchSize - 1);
                items.removeIf(item -> item.result().isDone());
                if (!items.isEmpty()) {
                    commit(items);
                }
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void commit(List<Item<T, R>> items) {
        batchSizes.record(items.size());
        try {
            List<R> results = batch.commit(items.stream().map(Item::item).toList());
            for (int i = 0; i < items.size(); i++) {
                items.get(i).result().complete(results.get(i));
            }
        } catch (Exception | Error failure) {
            Throwable handedOn = databaseUnreachable(failure) ? failure : new NotCommitted(failure);
            items.forEach(item -> item.result().completeExceptionally(handedOn));
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

    /** Stops committing; what still waits is answered "retry later". */
    public void stop() throws InterruptedException {
        running = false;
        committers.shutdown();
        committers.awaitTermination(10, TimeUnit.SECONDS);
        for (Item<T, R> item; (item = waiting.poll()) != null; ) {
            item.result().completeExceptionally(new RetryLater("the bridge is stopping; retry later"));
        }
    }

    private record Item<T, R>(T item, CompletableFuture<R> result) {
    }
}
