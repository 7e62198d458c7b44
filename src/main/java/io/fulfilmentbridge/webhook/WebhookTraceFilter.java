package io.fulfilmentbridge.webhook;

import io.fulfilmentbridge.tracing.Spans;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * With traces on (docs/operations.md, Traces): one trace per delivery. Spring's span of the HTTP request
 * (its root, or a child of the sender's traceparent) ends on the servlet's thread, while the routes run
 * on the delivery executor's; the request reaches Camel with that span's traceparent in place of any
 * sent, so Camel's spans continue it. The route removes every header as its first step, as before.
 */
final class WebhookTraceFilter extends OncePerRequestFilter {

    private final Spans spans;

    WebhookTraceFilter(Spans spans) {
        this.spans = spans;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String traceparent = spans.traceparent();
        chain.doFilter(traceparent == null ? request : new TracedRequest(request, traceparent), response);
    }

    private static final class TracedRequest extends HttpServletRequestWrapper {
        private static final String TRACEPARENT = "traceparent";
        private final String traceparent;

        TracedRequest(HttpServletRequest request, String traceparent) {
            super(request);
            this.traceparent = traceparent;
        }

        @Override
        public String getHeader(String name) {
            return TRACEPARENT.equalsIgnoreCase(name) ? traceparent : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return TRACEPARENT.equalsIgnoreCase(name) ? Collections.enumeration(List.of(traceparent)) : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = new ArrayList<>();
            for (Enumeration<String> sent = super.getHeaderNames(); sent.hasMoreElements(); ) {
                String name = sent.nextElement();
                if (!TRACEPARENT.equalsIgnoreCase(name)) {
                    names.add(name);
                }
            }
            names.add(TRACEPARENT);
            return Collections.enumeration(names);
        }
    }
}
