package io.fulfilmentbridge.firstpromoter;

import static io.fulfilmentbridge.firstpromoter.AnswerFields.text;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading a page FirstPromoterLists asked for, of either API: its status (a 429's Retry-After), its JSON,
 * its Link rel="next" and its times (docs/promises.md, Nothing lost when every delivery failed). A list
 * body holds promoters' secrets: no reason given here quotes it.
 */
final class ListAnswers {

    /** A 429 without a Retry-After: the wait before the next run. */
    static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);
    /** Amounts as written (2.50 stays 2.50), as a delivery's are read. */
    static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;[^,]*rel=\"?next\"?");

    private ListAnswers() {
    }

    /** A 2xx goes on; a 429 ends the read with its Retry-After; anything else ends it with the status. */
    static void refused(int status, HttpHeaders headers, String what) throws FirstPromoterLists.Unavailable {
        if (status == 429) {
            Duration wait = retryAfter(headers);
            throw new FirstPromoterLists.Unavailable(what + " answered 429 Too Many Requests: the next run waits " + wait.toSeconds() + " s", wait);
        }
        if (status < 200 || status >= 300) {
            throw new FirstPromoterLists.Unavailable(what + " answered " + status + (status == 401 || status == 403
                    ? " (check bridge.firstpromoter's API key)" : ""), null);
        }
    }

    static Duration retryAfter(HttpHeaders headers) {
        String value = headers.firstValue("Retry-After").orElse("").trim();
        Duration wait;
        if (value.matches("[0-9]{1,6}")) {
            wait = Duration.ofSeconds(Long.parseLong(value));
        } else {
            try {
                Duration until = Duration.between(Instant.now(),
                        java.time.ZonedDateTime.parse(value, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                wait = until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException notADate) {
                wait = DEFAULT_RETRY_AFTER;
            }
        }
        // At most a pause's longest, whatever it says (docs/promises.md, Within FirstPromoter's limit).
        return wait.compareTo(FirstPromoterBudget.MOST_PAUSE) > 0 ? FirstPromoterBudget.MOST_PAUSE : wait;
    }

    static JsonNode list(String body, String what) throws FirstPromoterLists.Unavailable {
        JsonNode node = parse(body, what);
        if (!node.isArray()) {
            throw new FirstPromoterLists.Unavailable(what + " is not a list", null);
        }
        return node;
    }

    /** Never with the body in the reason: it holds promoters' secrets. */
    static JsonNode parse(String body, String what) throws FirstPromoterLists.Unavailable {
        try {
            JsonNode node = JSON.readTree(body == null ? "" : body);
            if (node == null || node.isMissingNode()) {
                throw new FirstPromoterLists.Unavailable(what + " has no body", null);
            }
            return node;
        } catch (IOException notJson) {
            throw new FirstPromoterLists.Unavailable(what + " is not JSON", null);
        }
    }

    static String next(HttpHeaders headers) {
        for (String link : headers.allValues("Link")) {
            Matcher next = NEXT.matcher(link);
            if (next.find()) {
                return next.group(1);
            }
        }
        return null;
    }

    static Instant instant(JsonNode node) {
        String text = text(node);
        if (text == null) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException notATime) {
            return null;
        }
    }
}
