package io.fulfilmentbridge;

import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A stand-in's resources that change when written, as a billing system's do: a read answers the
 * resource as it is now, a write changes it when it is applied. A write can be held for longer than
 * the bridge's timeout and applied after the hold (not when it arrived), and its answer can be
 * dropped after it was applied, as a system that is slow or whose connection breaks does. The stubs
 * still route the requests (and the tests read the requests back); this replaces their answers.
 */
public final class HeldWrites implements ResponseTransformerV2 {

    /**
     * How the next write to a path is treated: held this long, then applied, its answer sent or dropped;
     * or, with failStatus, answered that status without being applied.
     */
    public record Hold(Duration hold, boolean dropAnswer, int failStatus) {
    }

    private final String name;
    private final Map<String, Supplier<String>> reads = new ConcurrentHashMap<>();
    private final Map<String, Function<Request, String>> writes = new ConcurrentHashMap<>();
    private final Map<String, Queue<Hold>> holds = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> arrived = new ConcurrentHashMap<>();

    public HeldWrites(String name) {
        this.name = name;
    }

    /** GET path answers this body, read at the time of the request. */
    public void onRead(String path, Supplier<String> body) {
        reads.put(path, body);
    }

    /** A write (method, path) applies this to the resource and answers what it returns. */
    public void onWrite(String method, String path, Function<Request, String> apply) {
        writes.put(method + " " + path, apply);
    }

    /** The next write to (method, path) not yet arrived is held, then applied, and its answer kept or dropped. */
    public void holdNext(String method, String path, Duration hold, boolean dropAnswer) {
        holds.computeIfAbsent(method + " " + path, k -> new ConcurrentLinkedQueue<>()).add(new Hold(hold, dropAnswer, 0));
    }

    /** The next write to (method, path) not yet arrived is answered this status (a 5xx) and not applied. */
    public void failNext(String method, String path, int status) {
        holds.computeIfAbsent(method + " " + path, k -> new ConcurrentLinkedQueue<>())
                .add(new Hold(Duration.ZERO, false, status));
    }

    /** How many writes to (method, path) arrived, whether or not they were applied or answered yet. */
    public int arrived(String method, String path) {
        AtomicInteger count = arrived.get(method + " " + path);
        return count == null ? 0 : count.get();
    }

    public void clear() {
        reads.clear();
        writes.clear();
        holds.clear();
        arrived.clear();
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public Response transform(Response response, ServeEvent serveEvent) {
        Request request = serveEvent.getRequest();
        String path = request.getUrl().split("\\?")[0];
        String method = request.getMethod().getName();
        if ("GET".equals(method)) {
            Supplier<String> read = reads.get(path);
            return read == null ? response : Response.Builder.like(response).but().status(200).body(read.get()).build();
        }
        Function<Request, String> write = writes.get(method + " " + path);
        if (write == null) {
            return response;
        }
        arrived.computeIfAbsent(method + " " + path, k -> new AtomicInteger()).incrementAndGet();
        Queue<Hold> queue = holds.get(method + " " + path);
        Hold hold = queue == null ? null : queue.poll();
        if (hold != null && hold.failStatus() > 0) {
            return Response.Builder.like(response).but().status(hold.failStatus())
                    .body("{\"error\": \"unavailable\"}").build();
        }
        if (hold != null) {
            try {
                Thread.sleep(hold.hold().toMillis());
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        String answer = write.apply(request);
        if (hold != null && hold.dropAnswer()) {
            return Response.Builder.like(response).but().fault(Fault.CONNECTION_RESET_BY_PEER).build();
        }
        return Response.Builder.like(response).but().status(200).body(answer).build();
    }
}
