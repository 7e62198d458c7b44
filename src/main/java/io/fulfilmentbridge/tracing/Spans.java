package io.fulfilmentbridge.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The bridge's own spans (docs/operations.md, Traces): one around each call to a billing system or
 * FirstPromoter, and the trace's context as a W3C traceparent, which the payout outbox keeps and the
 * payout message carries. Off (the default), {@link #off()}: no observation is made and no context read.
 * A span's attributes name the system, the call and the HTTP method and path, never a URL's query, a
 * header or a body, so never a key or a promoter's token.
 */
public final class Spans {

    static final String TRACEPARENT = "traceparent";
    /** W3C Trace Context, version 00: only a well-formed one is continued. */
    private static final Pattern WELL_FORMED = Pattern.compile("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    private static final Spans OFF = new Spans(null, null);

    private final Tracer tracer;
    private final Propagator propagator;

    Spans(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** No spans: tracing off, and the tests that build beans by hand. */
    public static Spans off() {
        return OFF;
    }

    /** Whether spans are made: traces on. */
    public boolean on() {
        return tracer != null;
    }

    /** What a span's work throws. */
    @FunctionalInterface
    public interface Work<T, E extends Throwable> {
        T run() throws E;
    }

    /**
     * work inside a client span, child of the current one: system (stripe, chargebee, firstpromoter...), call
     * (what is asked, e.g. "retrieve customer" or "GET /api/v2/customers"), without query or values. Made
     * with the tracer, not as an observation, whose span names are lower-hyphenated ("-g-e-t") and kind internal.
     */
    public <T, E extends Throwable> T call(String system, String call, Work<T, E> work) throws E {
        if (tracer == null) {
            return work.run();
        }
        Span span = tracer.spanBuilder().name(system + " " + call).kind(Span.Kind.CLIENT)
                .tag("system", system).tag("call", call).start();
        try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
            return work.run();
        } catch (Throwable failed) {
            span.error(failed);
            throw failed;
        } finally {
            span.end();
        }
    }

    /** An HTTP call of the JDK's client inside a span, as {@link #call}. */
    public <T> T http(String system, String call, HttpWork<T> work) throws IOException, InterruptedException {
        try {
            return this.<T, Exception>call(system, call, work::run);
        } catch (IOException | InterruptedException | RuntimeException thrown) {
            throw thrown;
        } catch (Exception cannotBeThrown) {
            // work throws nothing else.
            throw new IllegalStateException(cannotBeThrown);
        }
    }

    /** What an HTTP call throws. */
    @FunctionalInterface
    public interface HttpWork<T> {
        T run() throws IOException, InterruptedException;
    }

    /** The current span's context as a W3C traceparent, or null (tracing off, or no span). */
    public String traceparent() {
        if (tracer == null) {
            return null;
        }
        TraceContext context = tracer.currentTraceContext().context();
        if (context == null) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(context, carrier, Map::put);
        return carrier.get(TRACEPARENT);
    }

    /**
     * work inside a span continuing the trace of traceparent (kept from an earlier step, e.g. in the
     * payout outbox); a new trace when it is null or not well-formed. Within it, {@link #traceparent()}
     * is this span's.
     */
    public <T, E extends Throwable> T continueFrom(String traceparent, String name, Work<T, E> work) throws E {
        if (tracer == null) {
            return work.run();
        }
        Span.Builder builder = traceparent != null && WELL_FORMED.matcher(traceparent).matches()
                ? propagator.extract(Map.of(TRACEPARENT, traceparent), Map::get)
                : tracer.spanBuilder().setNoParent();
        Span span = builder.name(name).kind(Span.Kind.PRODUCER).start();
        try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
            return work.run();
        } catch (Throwable failed) {
            span.error(failed);
            throw failed;
        } finally {
            span.end();
        }
    }
}
