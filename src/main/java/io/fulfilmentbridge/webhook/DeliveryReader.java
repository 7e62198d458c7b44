package io.fulfilmentbridge.webhook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.DatabaseClock;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentRequest;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.Unit;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Reads a webhook body in two steps (docs/promises.md, Every answer): first as one JSON object within
 * tight limits, then, for a fulfilment_pending event only, its required fields. Reasons never quote the
 * body, which carries the promoter's secrets.
 */
@Component("deliveryReader")
public class DeliveryReader {

    static final String FULFILMENT_PENDING = "fulfilment_pending";
    private static final String COMMISSION_EVENT = "commission.";
    private static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7e]+");
    static final int MAX_DEPTH = 32;
    static final int MAX_STRING = 4096;
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");

    /**
     * A non-zero amount (docs/promises.md, Every answer: rejected), written as d.ddd x 10^e with d from 1 to 9, has at most 64
     * digits from d to the last digit written (trailing zeros count, leading zeros do not) and e from
     * -64 to 64. Zero is read as 0 whatever its exponent (then parked).
     */
    public static final int MAX_AMOUNT_DIGITS = 64;
    public static final int MAX_AMOUNT_EXPONENT = 64;
    /**
     * The longest number text read, as a JSON number or a numeric string: an amount within the bounds
     * above in plain form (a sign, "0.", 63 zeros and 64 digits) is 130 characters.
     */
    public static final int MAX_NUMBER_CHARS = 130;

    /**
     * The span of an event's timestamp (docs/promises.md, "Webhooks v2 events"): one that orders a
     * commission's decisions must be storable and must not outrank every later event, so one before
     * FirstPromoter's time or more than a day ahead of the database's clock is the sender's error.
     */
    public static final Instant EARLIEST_EVENT = Instant.parse("2010-01-01T00:00:00Z");
    public static final Duration MAX_AHEAD = Duration.ofDays(1);

    private final ObjectMapper mapper;
    private final Supplier<Instant> now;

    @Autowired
    public DeliveryReader(DatabaseClock clock) {
        this(clock::now);
    }

    DeliveryReader(Supplier<Instant> now) {
        this.now = now;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH)
                        .maxStringLength(MAX_STRING)
                        .maxNumberLength(MAX_NUMBER_CHARS)
                        .maxNameLength(MAX_STRING)
                        .build())
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // An amount is kept as written (2.50 stays 2.50), a JSON number like a numeric string.
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();
    }

    /** The first step: the body is one JSON object; with what the answer and the log name it by. */
    public Delivery read(byte[] body) {
        if (body == null || body.length == 0) {
            throw new RejectedDelivery("body is empty: a JSON object is required");
        }
        JsonNode json;
        try {
            json = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new RejectedDelivery("body is not valid JSON within the limits (nesting depth " + MAX_DEPTH
                    + ", strings " + MAX_STRING + " characters, numbers " + MAX_NUMBER_CHARS + " characters)" + location(e));
        } catch (IOException e) {
            throw new RejectedDelivery("body could not be read as JSON");
        }
        if (json == null || !json.isObject()) {
            throw new RejectedDelivery("body must be a JSON object");
        }
        Long fulfilmentId = positiveId(json.path("data").path("id"));
        JsonNode type = json.path("event").path("type");
        String eventType = type.isTextual() ? type.asText() : null;
        if (!FULFILMENT_PENDING.equals(eventType)) {
            return new Delivery(json, fulfilmentId, eventType, null, null);
        }
        String eventId = scalarText(json.path("event").path("id"), 64);
        JsonNode unit = json.path("data").path("unit");
        return new Delivery(json, fulfilmentId, eventType,
                eventId == null ? null : eventId.replaceAll("[^\\x21-\\x7e]", "?"),
                // Labelled as the second step reads it: only once data and its id are there.
                fulfilmentId != null && unit.isTextual() && !unit.asText().isBlank() ? Unit.of(unit.asText()).label() : null);
    }

    /** The second step: the fields a fulfilment needs, with the leniency real deliveries call for, as route fulfilment takes them. */
    public FulfilmentRequest request(Delivery delivery) {
        return FulfilmentRequest.delivery(fulfilment(delivery));
    }

    /**
     * A payout API v1 lists as pending (a delivery's data, without the promoter's secrets), read exactly as its
     * delivery would be: {@link RejectedDelivery} for what a delivery would be refused for, and not applied.
     */
    public FulfilmentRequest reconciled(JsonNode payoutDelivery) {
        return FulfilmentRequest.reconciled(fulfilment(new Delivery(payoutDelivery, positiveId(payoutDelivery.path("data").path("id")),
                FULFILMENT_PENDING, scalarText(payoutDelivery.path("event").path("id"), 64), null)));
    }

    Fulfilment fulfilment(Delivery delivery) {
        JsonNode data = delivery.json().path("data");
        String eventId = scalarText(delivery.json().path("event").path("id"), 64);
        if (!data.isObject()) {
            throw new RejectedDelivery("data is required and must be an object");
        }
        if (delivery.fulfilmentId() == null) {
            throw new RejectedDelivery("data.id is required: a positive integer");
        }
        JsonNode unit = data.path("unit");
        if (!unit.isTextual() || unit.asText().isBlank()) {
            throw new RejectedDelivery("data.unit is required: a string");
        }
        BigDecimal amount = amount(data.path("amount"));
        JsonNode promoter = data.path("promoter");
        if (!promoter.isObject()) {
            throw new RejectedDelivery("data.promoter is required and must be an object");
        }
        Long promoterId = positiveId(promoter.path("id"));
        if (promoterId == null) {
            throw new RejectedDelivery("data.promoter.id is required: a positive integer");
        }
        Fulfilment fulfilment = new Fulfilment(
                FulfilmentKey.pending(delivery.fulfilmentId()),
                eventId,
                unit.asText(),
                amount,
                scalarText(data.path("status"), 64),
                promoterId,
                identifying("data.promoter.cust_id", promoter.path("cust_id"), 255),
                identifying("data.promoter.email", promoter.path("email"), 320));
        String reserved = Recipient.reservedPrefixOf(fulfilment.custId());
        if (reserved != null) {
            // docs/promises.md, Webhooks v2 events (whose reward): the prefix names the accounts the bridge derives from promoter (and referral) ids.
            throw new RejectedDelivery("data.promoter.cust_id must not start with " + reserved
                    + ": that prefix is reserved for the bridge's own derived accounts");
        }
        // PostgreSQL's text types cannot hold U+0000: a stored field with one would fail every
        // delivery as a database error (503) for ever, so it is the sender's error instead.
        noNul("event.id", eventId);
        noNul("data.unit", fulfilment.unit());
        noNul("data.status", fulfilment.status());
        noNul("data.promoter.cust_id", fulfilment.custId());
        noNul("data.promoter.email", fulfilment.email());
        return fulfilment;
    }

    // ---- Webhooks v2 (docs/promises.md, Webhooks v2 events): a commission event.

    /**
     * Route firstpromoter-events' step: 202 ignored before an event's fields are required, for FirstPromoter's
     * test delivery or an event about something other than a commission; null for a commission event.
     */
    public Answer ignored(Delivery delivery) {
        JsonNode json = delivery.json();
        if (json.path("data").path("test").asBoolean(false)) {
            return Answer.ignored("FirstPromoter's test delivery: received, nothing done");
        }
        String eventType = eventType(json);
        if (!eventType.startsWith(COMMISSION_EVENT)) {
            return Answer.ignored("event " + printable(eventType) + " is not about a commission: nothing done");
        }
        return null;
    }

    /** The commission event, with the fields docs/promises.md (Reading an event) requires; else rejected (400) with the reason. */
    public CommissionEvent commissionEvent(Delivery delivery) {
        JsonNode json = delivery.json();
        String eventType = eventType(json);
        JsonNode eventIdNode = json.path("event_id");
        String eventId = eventIdNode.isTextual() ? eventIdNode.asText().trim() : "";
        if (eventId.isEmpty() || eventId.length() > 64 || !PRINTABLE.matcher(eventId).matches()) {
            throw new RejectedDelivery("event_id is required: a string of at most 64 printable characters");
        }
        JsonNode data = json.path("data");
        if (!data.isObject()) {
            throw new RejectedDelivery("data is required and must be an object");
        }
        Long commissionId = positiveId(data.path("id"));
        if (commissionId == null) {
            throw new RejectedDelivery("data.id is required: a positive integer");
        }
        CommissionEvent.Kind kind = kindOf(eventType, json, data);
        JsonNode unit = data.path("unit");
        String unitText = unit.isTextual() && !unit.asText().isBlank() ? unit.asText() : null;
        BigDecimal amount = null;
        if (kind == CommissionEvent.Kind.APPROVAL) {
            if (unitText == null) {
                throw new RejectedDelivery("data.unit is required for an approval: a string");
            }
            amount = amount(data.path("amount"));
        }
        JsonNode promoter = data.path("promoter_campaign").path("promoter");
        JsonNode referral = data.path("referral");
        CommissionEvent event = new CommissionEvent(eventId, eventType, commissionId, timestamp(json.path("timestamp")), kind,
                unitText, amount, scalarText(data.path("status"), 64),
                positiveId(promoter.path("id")), identifying("data.promoter_campaign.promoter.email", promoter.path("email"), 320),
                positiveId(referral.path("id")), identifying("data.referral.email", referral.path("email"), 320),
                identifying("data.referral.uid", referral.path("uid"), 255));
        noNul("data.unit", event.unit());
        noNul("data.status", event.status());
        noNul("data.promoter_campaign.promoter.email", event.promoterEmail());
        noNul("data.referral.email", event.referralEmail());
        noNul("data.referral.uid", event.referralUid());
        return event;
    }

    /**
     * docs/promises.md, Webhooks v2 events: approved by commission.approved, by commission.updated whose changes.status ends in
     * approved, or created already approved (an auto-approving campaign); denied by commission.denied,
     * commission.deleted, or changes.status ending in denied.
     */
    private static CommissionEvent.Kind kindOf(String eventType, JsonNode json, JsonNode data) {
        JsonNode statusChange = json.path("changes").path("status");
        String newStatus = statusChange.isArray() && statusChange.size() == 2 && statusChange.get(1).isTextual()
                ? statusChange.get(1).asText() : null;
        switch (eventType) {
            case "commission.approved":
                return CommissionEvent.Kind.APPROVAL;
            case "commission.denied", "commission.deleted":
                return CommissionEvent.Kind.DENIAL;
            case "commission.created":
                return "approved".equals(data.path("status").asText(null)) ? CommissionEvent.Kind.APPROVAL : CommissionEvent.Kind.OTHER;
            default:
                if ("denied".equals(newStatus)) {
                    return CommissionEvent.Kind.DENIAL;
                }
                return "commission.updated".equals(eventType) && "approved".equals(newStatus)
                        ? CommissionEvent.Kind.APPROVAL : CommissionEvent.Kind.OTHER;
        }
    }

    private static String eventType(JsonNode json) {
        JsonNode type = json.path("event_type");
        if (!type.isTextual() || type.asText().isBlank()) {
            throw new RejectedDelivery("event_type is required: a string");
        }
        return type.asText().trim();
    }

    /**
     * The event's timestamp, which orders an approval and a denial; missing: null (cannot be ordered).
     * Within {@link #EARLIEST_EVENT} and {@link #MAX_AHEAD} of the database's clock, else rejected.
     */
    private Instant timestamp(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        Instant at;
        try {
            // To the microsecond the database keeps: a stored time rounded up would outrank its own event's retry.
            at = OffsetDateTime.parse(node.asText()).toInstant().truncatedTo(ChronoUnit.MICROS);
        } catch (DateTimeParseException notIso) {
            throw new RejectedDelivery("timestamp must be an ISO-8601 date and time with its offset, like 2025-01-19T10:30:00Z");
        }
        if (at.isBefore(EARLIEST_EVENT)) {
            throw new RejectedDelivery("timestamp " + at + " is before " + EARLIEST_EVENT.toString().substring(0, 10)
                    + ": no FirstPromoter event is that old");
        }
        Instant latest = now.get().plus(MAX_AHEAD);
        if (at.isAfter(latest)) {
            throw new RejectedDelivery("timestamp " + at + " is more than a day ahead of the database's clock (latest taken: "
                    + latest + ")");
        }
        return at;
    }

    private static String printable(String text) {
        String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /**
     * A field that names the promoter's account or finds its Stripe customer: cutting it could name
     * someone else's, so one longer than its column is refused rather than shortened.
     */
    private static String identifying(String field, JsonNode node, int max) {
        String text = scalarText(node, Integer.MAX_VALUE);
        if (text != null && text.length() > max) {
            throw new RejectedDelivery(field + " is longer than " + max + " characters");
        }
        return text;
    }

    private static void noNul(String field, String value) {
        if (value != null && value.indexOf('\u0000') >= 0) {
            throw new RejectedDelivery(field + " contains a NUL character (U+0000)");
        }
    }

    /** A positive integer given as a JSON integer or a string of digits; anything else is no id. */
    static Long positiveId(JsonNode node) {
        String digits;
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            digits = Long.toString(node.longValue());
        } else if (node.isTextual()) {
            digits = node.asText();
        } else {
            return null;
        }
        if (!DIGITS.matcher(digits).matches()) {
            return null;
        }
        long id = Long.parseLong(digits);
        return id > 0 ? id : null;
    }

    /** data.amount, refused unless within the bounds of the second step, which are checked before any arithmetic. */
    static BigDecimal amount(JsonNode node) {
        BigDecimal amount;
        if (node.isNumber()) {
            amount = node.decimalValue();
        } else if (node.isTextual() && node.asText().trim().length() <= MAX_NUMBER_CHARS
                && DECIMAL.matcher(node.asText().trim()).matches()) {
            try {
                amount = new BigDecimal(node.asText().trim());
            } catch (NumberFormatException exponentBeyondInt) {
                throw amountOutOfBounds();
            }
        } else {
            throw new RejectedDelivery("data.amount is required: a number or a numeric string of at most "
                    + MAX_NUMBER_CHARS + " characters");
        }
        if (amount.signum() == 0) {
            return BigDecimal.ZERO;
        }
        // precision() and scale() only read the number as written: no arithmetic on a huge exponent.
        int digits = amount.precision();
        long exponent = (long) digits - amount.scale() - 1;
        if (digits > MAX_AMOUNT_DIGITS || Math.abs(exponent) > MAX_AMOUNT_EXPONENT) {
            throw amountOutOfBounds();
        }
        return amount;
    }

    private static RejectedDelivery amountOutOfBounds() {
        return new RejectedDelivery("data.amount must have at most " + MAX_AMOUNT_DIGITS + " significant digits and, written as "
                + "d.ddd x 10^e, an exponent e from -" + MAX_AMOUNT_EXPONENT + " to " + MAX_AMOUNT_EXPONENT);
    }

    /** A string or number field as text, null when missing, null or empty; cut to the column's size. */
    static String scalarText(JsonNode node, int max) {
        if (!(node.isTextual() || node.isNumber())) {
            return null;
        }
        String text = node.asText().trim();
        if (text.isEmpty()) {
            return null;
        }
        return text.length() > max ? text.substring(0, max) : text;
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }
}
