package io.fulfilmentbridge.fulfilment;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;

/** How the fulfilments table's columns hold a fulfilment's values, and the conditions its readers share. */
final class Columns {

    /** A RECEIVED fulfilment whose lease ran out before the parameter (now minus stuck-after): stuck. Parameters: {@link #stuck}. */
    static final String STUCK = "state = ? AND COALESCE(lease_until, updated_at) < ?";
    /** Reversed fulfilments listed for operators: those with a reason (null once nothing needs a review). One parameter: REVERSED. */
    static final String REVERSED_TO_REVIEW = "state = ? AND reason IS NOT NULL";
    /** Parked or failed: what waits for an operator's replay. Parameters: {@link #waitingForOperator}. */
    static final String WAITS_FOR_OPERATOR = "state IN (?, ?)";

    private static final BigDecimal COLUMN_LIMIT = new BigDecimal("1e29");

    private Columns() {
    }

    /** The parameters of {@link #STUCK}. */
    static Object[] stuck(Instant before) {
        return new Object[] {FulfilmentState.RECEIVED.name(), Timestamp.from(before)};
    }

    /** The parameters of {@link #WAITS_FOR_OPERATOR}. */
    static Object[] waitingForOperator() {
        return new Object[] {FulfilmentState.PARKED.name(), FulfilmentState.FAILED.name()};
    }

    static String unit(String unit) {
        return cut(unit, 64);
    }

    /** The amount as the column holds it; one outside DECIMAL(38, 8) is parked anyway and kept as null. */
    static BigDecimal amount(BigDecimal amount) {
        if (amount.abs().compareTo(COLUMN_LIMIT) >= 0) {
            return null;
        }
        return amount.scale() > 8 ? amount.setScale(8, RoundingMode.DOWN) : amount;
    }

    /** Null for the promoter's reward, as every legacy row has it. */
    static String recipientKind(Fulfilment f) {
        return f.recipient().kind() == Recipient.Kind.PROMOTER && f.recipient().id() == f.promoterId() ? null : f.recipient().kind().name();
    }

    /** Null for the bridge's own once-only terms, as every legacy row has them. */
    static String discount(Fulfilment f) {
        return DiscountTerms.ONCE.equals(f.discount()) ? null : f.discount().label();
    }

    static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    static Timestamp timestamp(Object column) {
        if (column instanceof Timestamp timestamp) {
            return timestamp;
        }
        if (column instanceof OffsetDateTime offset) {
            return Timestamp.from(offset.toInstant());
        }
        return null;
    }

    /** Parameters joined, for SQL whose conditions each bring theirs. */
    static Object[] join(Object[]... parts) {
        return Arrays.stream(parts).flatMap(Arrays::stream).toArray();
    }
}
