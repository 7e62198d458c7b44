package io.fulfilmentbridge.fulfilment;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;

/**
 * One fulfilment waiting for an operator, as a row of the console's table (JMX open types, so any
 * JMX client reads it without the bridge's classes). source is v1 (a legacy payout id) or v2 (a
 * commission id): the same number can be both. state is PARKED, FAILED, REVERSED (to review) or stuck; other lists
 * (payout anomalies) add rows with their own state word. amount is exactly as received.
 */
public record ParkedRow(Source source, long fulfilmentId, String unit, String amount, String state, Instant since,
                        String reason) {

    private static final String[] COLUMNS = {"source", "id", "unit", "amount", "state", "since", "ageSeconds", "reason"};
    private static final CompositeType ROW;
    static final TabularType TABLE;

    static {
        try {
            ROW = new CompositeType("ParkedFulfilment", "A fulfilment waiting for an operator", COLUMNS,
                    new String[] {"v1 (a legacy payout id) or v2 (a commission id)", "FirstPromoter's id of that kind", "Reward unit", "Amount exactly as received",
                            "PARKED, FAILED, stuck, or another list's state", "Since when it waits",
                            "How long it has waited, in seconds", "Why it waits"},
                    new OpenType<?>[] {SimpleType.STRING, SimpleType.LONG, SimpleType.STRING, SimpleType.STRING, SimpleType.STRING,
                            SimpleType.DATE, SimpleType.LONG, SimpleType.STRING});
            // One row per fulfilment (source and id) and state: the same fulfilment may be listed once per list.
            TABLE = new TabularType("ParkedFulfilments", "Fulfilments waiting for an operator", ROW,
                    new String[] {"source", "state", "id"});
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The rows as one table; a second row for the same fulfilment and state adds its reason to the first. */
    public static TabularData table(List<ParkedRow> rows, Instant now) {
        TabularDataSupport table = new TabularDataSupport(TABLE);
        for (ParkedRow row : rows) {
            Object[] key = {row.source.ledgerSource(), row.state, row.fulfilmentId};
            CompositeData earlier = table.get(key);
            String reason = earlier == null ? row.reason : earlier.get("reason") + "; " + row.reason;
            if (earlier != null) {
                table.remove(key);
            }
            table.put(row.toComposite(reason, now));
        }
        return table;
    }

    private CompositeData toComposite(String reason, Instant now) {
        try {
            return new CompositeDataSupport(ROW, COLUMNS, new Object[] {source.ledgerSource(), fulfilmentId, unit, amount, state,
                    Date.from(since), Math.max(0, Duration.between(since, now).toSeconds()), reason});
        } catch (OpenDataException e) {
            throw new IllegalStateException(e);
        }
    }
}
