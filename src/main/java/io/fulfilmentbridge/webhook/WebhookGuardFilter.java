package io.fulfilmentbridge.webhook;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.FulfilmentMetrics;
import io.fulfilmentbridge.fulfilment.AnswerStatuses;
import io.fulfilmentbridge.fulfilment.Outcome;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The first four checks (docs/promises.md, Every answer), before any route runs: method, secret, size, content type, in
 * that order, each refusal with its JSON body. Before them, 503 while the routes are not
 * all up ({@link WebhookDoor}). Done here rather than in the route because
 * Spring MVC would answer 405/415 itself, and Tomcat resets a connection rather than swallow a large
 * unread body. The body is read once, here, and handed on.
 */
public class WebhookGuardFilter extends OncePerRequestFilter {

    private final WebhookSecrets secrets;
    private final FulfilmentMetrics metrics;
    private final WebhookDoor door;
    private final AnswerStatuses statuses;
    private final boolean acceptsBearer;
    private final int maxBodyBytes;
    private final long maxDrainBytes;

    public WebhookGuardFilter(WebhookSecrets secrets, FulfilmentMetrics metrics, WebhookDoor door, AnswerStatuses statuses,
                              boolean acceptsBearer, int maxBodyBytes, long maxDrainBytes) {
        this.acceptsBearer = acceptsBearer;
        this.secrets = secrets;
        this.metrics = metrics;
        this.door = door;
        this.statuses = statuses;
        this.maxBodyBytes = maxBodyBytes;
        this.maxDrainBytes = maxDrainBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        // The answer deadline counts from here (AnswerDeadline), not from when a thread runs the route.
        request.setAttribute(AnswerDeadline.ARRIVED_AT, System.nanoTime());
        if (!door.open()) {
            refuse(request, response, Answer.retry(door.closedBecause()));
            return;
        }
        if (!"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            refuse(request, response, new Answer(Outcome.METHOD_NOT_ALLOWED, "only POST is accepted"));
            return;
        }
        if (!secrets.accepts(presentedSecret(request, acceptsBearer))) {
            refuse(request, response, new Answer(Outcome.UNAUTHORIZED,
                    "missing or wrong secret: pass ?token=<secret> or HTTP Basic credentials"));
            return;
        }
        byte[] body = readBody(request);
        if (body == null) {
            refuse(request, response, new Answer(Outcome.TOO_LARGE, "body is over " + maxBodyBytes + " bytes"));
            return;
        }
        if (!isJson(request.getContentType())) {
            refuse(request, response, new Answer(Outcome.UNSUPPORTED_MEDIA_TYPE, "content type must be application/json"));
            return;
        }
        chain.doFilter(new ReadBodyRequest(request, body), response);
    }

    static boolean isJson(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json")
                || (mediaType.startsWith("application/") && mediaType.endsWith("+json"));
    }

    /**
     * The token query parameter, or the password of Basic credentials, or (webhooks v2, whose
     * subscriptions send custom headers) a Bearer token. The query is parsed by hand so a form body is never read.
     */
    static String presentedSecret(HttpServletRequest request, boolean acceptsBearer) {
        String query = request.getQueryString();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals("token")) {
                    try {
                        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                }
            }
        }
        String authorization = request.getHeader("Authorization");
        if (acceptsBearer && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon >= 0 ? decoded.substring(colon + 1) : null;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    /** The whole body, or null when it is over the limit (what is over it is drained, up to a bound). */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        InputStream in = request.getInputStream();
        if (declared > maxBodyBytes) {
            drain(in);
            return null;
        }
        byte[] body = in.readNBytes(maxBodyBytes + 1);
        if (body.length > maxBodyBytes) {
            drain(in);
            return null;
        }
        return body;
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, Answer answer) throws IOException {
        Outcome outcome = answer.outcome();
        if (!"POST".equals(request.getMethod()) || outcome == Outcome.UNAUTHORIZED || outcome == Outcome.RETRY) {
            drain(request.getInputStream());
        }
        response.setStatus(statuses.status(outcome));
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(WebhookAnswer.body(null, answer));
        metrics.count(null, answer);
    }

    /** Reads and discards what is left of a refused body, so the sender gets its answer rather than a reset. */
    private void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = maxDrainBytes;
        int read;
        while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) != -1) {
            left -= read;
        }
    }

    private static final class ReadBodyRequest extends HttpServletRequestWrapper {
        private final byte[] body;

        ReadBodyRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override public int read() { return in.read(); }
                @Override public int read(byte[] b, int off, int len) { return in.read(b, off, len); }
                @Override public boolean isFinished() { return in.available() == 0; }
                @Override public boolean isReady() { return true; }
                @Override public void setReadListener(ReadListener listener) { throw new UnsupportedOperationException(); }
            };
        }

        @Override
        public int getContentLength() { return body.length; }

        @Override
        public long getContentLengthLong() { return body.length; }

        @Override
        public java.io.BufferedReader getReader() {
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
