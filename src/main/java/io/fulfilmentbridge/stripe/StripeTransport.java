package io.fulfilmentbridge.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.ApiConnectionException;
import com.stripe.net.Authenticator;
import com.stripe.net.HttpClient;
import com.stripe.net.HttpHeaders;
import com.stripe.net.LiveStripeResponseGetter;
import com.stripe.net.StripeRequest;
import com.stripe.net.StripeResponse;
import com.stripe.net.StripeResponseGetterOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.nio.charset.StandardCharsets;

/**
 * stripe-java's own transport (HttpURLConnection, the library's default) with two differences: the
 * X-Stripe-Client-User-Agent header is built once, and a POST is streamed, which stops the JDK from
 * sending it a second time on its own after a connection reset (it does so for unstreamed POSTs). stripe-java 31 builds it for every request, and
 * building it reads Gson's pom.properties from the class path each time: with a few hundred grants
 * in flight the threads queue on the JDK's jar-file locks, and a burst of 1,000 got no answer at all.
 */
final class StripeTransport extends HttpClient {

    private final String clientUserAgent = buildXStripeClientUserAgentString();

    /** A client like {@code builder.build()}, on this transport. */
    static StripeClient client(StripeClient.StripeClientBuilder builder) {
        return new StripeClient(new LiveStripeResponseGetter(new StripeResponseGetterOptions() {
            @Override public Authenticator getAuthenticator() { return builder.getAuthenticator(); }
            @Override public String getClientId() { return builder.getClientId(); }
            @Override public int getConnectTimeout() { return builder.getConnectTimeout(); }
            @Override public Proxy getConnectionProxy() { return builder.getConnectionProxy(); }
            @Override public int getMaxNetworkRetries() { return builder.getMaxNetworkRetries(); }
            @Override public PasswordAuthentication getProxyCredential() { return builder.getProxyCredential(); }
            @Override public String getApiBase() { return builder.getApiBase(); }
            @Override public String getFilesBase() { return builder.getFilesBase(); }
            @Override public String getConnectBase() { return builder.getConnectBase(); }
            @Override public String getMeterEventsBase() { return builder.getMeterEventsBase(); }
            @Override public int getReadTimeout() { return builder.getReadTimeout(); }
            @Override public String getStripeAccount() { return builder.getStripeAccount(); }
            @Override public String getStripeContext() { return builder.getStripeContext(); }
        }, new StripeTransport()));
    }

    @Override
    public StripeResponse request(StripeRequest request) throws ApiConnectionException {
        try {
            Proxy proxy = request.options().getConnectionProxy();
            HttpURLConnection connection = (HttpURLConnection) (proxy != null
                    ? request.url().openConnection(proxy) : request.url().openConnection());
            connection.setConnectTimeout(request.options().getConnectTimeout());
            connection.setReadTimeout(request.options().getReadTimeout());
            connection.setUseCaches(false);
            HttpHeaders headers = request.headers()
                    .withAdditionalHeader("User-Agent", buildUserAgentString(request))
                    .withAdditionalHeader("X-Stripe-Client-User-Agent", clientUserAgent);
            headers.map().forEach((name, values) -> connection.setRequestProperty(name, String.join(",", values)));
            connection.setRequestMethod(request.method().name());
            if (request.content() != null) {
                byte[] content = request.content().byteArrayContent();
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", request.content().contentType());
                // Streamed, a POST is never sent again by HttpURLConnection itself when the connection
                // drops before the answer: only the bridge decides what is re-sent.
                connection.setFixedLengthStreamingMode(content.length);
                try (OutputStream body = connection.getOutputStream()) {
                    body.write(content);
                }
            }
            int status = connection.getResponseCode();
            InputStream answer = status >= 200 && status < 300 ? connection.getInputStream() : connection.getErrorStream();
            String body = "";
            if (answer != null) {
                try (answer) {
                    body = new String(answer.readAllBytes(), StandardCharsets.UTF_8);
                }
            } else if (status == 401 || status == 407) {
                // A streamed request's 401 comes without its body: an error stripe-java can read keeps it a refused key.
                body = "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Stripe answered " + status
                        + " (the body of an answer to a streamed request is not kept)\"}}";
            }
            return new StripeResponse(status, HttpHeaders.of(connection.getHeaderFields()), body);
        } catch (IOException e) {
            throw new ApiConnectionException("IOException during API request to Stripe (" + request.url().getHost() + "): "
                    + e.getMessage(), e);
        }
    }
}
