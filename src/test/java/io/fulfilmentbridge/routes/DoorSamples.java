package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fulfilmentbridge.firstpromoter.FirstPromoterSettings;
import io.fulfilmentbridge.firstpromoter.InboundKind;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.webhook.DeliveryReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.Exchange;

/** What the door route tests share: FirstPromoter's sample bodies, and the real beans that read them. */
final class DoorSamples {

    /** The database's clock the reader checks an event's timestamp against: after every sample's. */
    static final Instant DATABASE_NOW = Instant.parse("2026-12-01T12:00:00Z");

    private static final ObjectMapper JSON = new ObjectMapper();

    private DoorSamples() {
    }

    /** A sample body of src/test/resources/payloads, as the bytes that came. */
    static byte[] body(String name) {
        try (InputStream in = DoorSamples.class.getResourceAsStream("/payloads/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no sample payloads/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The real reader, on a database clock that needs no database. */
    static DeliveryReader reader() {
        DatabaseClock clock = mock(DatabaseClock.class);
        when(clock.now()).thenReturn(DATABASE_NOW);
        return new DeliveryReader(clock);
    }

    /** The real inbound kind of a bridge whose bridge.firstpromoter.inbound is legacy or v2. */
    static InboundKind inbound(String kind) {
        return new InboundKind(new FirstPromoterSettings(kind, "", "https://firstpromoter.com", "v2-key", "acc_1",
                "https://api.firstpromoter.com", Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5), 6,
                Duration.ofMinutes(1), Duration.ofHours(24), Duration.ofMinutes(5), 200));
    }

    /** Fails if a secret is in any of the exchange's properties, its headers or its body. */
    static void assertNowhere(Exchange exchange, String... secrets) {
        Object body = exchange.getMessage().getBody();
        String bodyText = body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(body);
        for (String secret : secrets) {
            assertFalse(bodyText.contains(secret), "a promoter's secret in the body, a " + (body == null ? "null" : body.getClass().getSimpleName()));
            for (Map.Entry<String, Object> property : exchange.getAllProperties().entrySet()) {
                assertFalse(String.valueOf(property.getValue()).contains(secret), "a promoter's secret in property " + property.getKey());
            }
            for (Map.Entry<String, Object> header : exchange.getMessage().getHeaders().entrySet()) {
                assertFalse(String.valueOf(header.getValue()).contains(secret), "a promoter's secret in header " + header.getKey());
            }
        }
    }
}
