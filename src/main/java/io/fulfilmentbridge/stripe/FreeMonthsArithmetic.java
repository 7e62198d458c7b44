package io.fulfilmentbridge.stripe;

import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The arithmetic of free months in Stripe (docs/promises.md, The Stripe calls), free of Stripe calls so it
 * can be checked alone.
 */
public final class FreeMonthsArithmetic {

    private FreeMonthsArithmetic() {
    }

    /**
     * trial-extension: N calendar months (UTC, the day clamped to the month's end) after the latest of
     * now, the current trial end and the items' current period ends, so a paid period is never lost.
     */
    public static long trialEnd(long nowEpoch, Long trialEnd, List<Long> periodEnds, int months) {
        long base = nowEpoch;
        if (trialEnd != null) {
            base = Math.max(base, trialEnd);
        }
        for (Long end : periodEnds) {
            if (end != null) {
                base = Math.max(base, end);
            }
        }
        return Instant.ofEpochSecond(base).atZone(ZoneOffset.UTC).plusMonths(months).toEpochSecond();
    }

    /**
     * The quantity a price with transform_quantity bills: the item's quantity divided by divide_by,
     * rounded up or down as the price says (25 seats in packages of 10, rounded up: 3 packages).
     */
    public static long billedQuantity(long quantity, long divideBy, boolean roundUp) {
        if (divideBy <= 0) {
            throw new IllegalArgumentException("divide_by must be positive");
        }
        return roundUp ? -Math.floorDiv(-quantity, divideBy) : Math.floorDiv(quantity, divideBy);
    }

    /** One subscription item's price, as Stripe gives it; quantity is what it bills (after transform_quantity). */
    public record PricedItem(long unitAmount, long quantity, String interval, long intervalCount) {
    }

    /**
     * balance-credit: N months of the subscription's price in minor units, each item brought to one
     * month exactly, summed, times N, rounded half up once at the end.
     */
    public static long monthsOfPrice(List<PricedItem> items, int months) {
        // Exact fraction: each item is unit_amount x quantity x perYear / (12 x interval_count).
        BigInteger numerator = BigInteger.ZERO;
        BigInteger denominator = BigInteger.ONE;
        for (PricedItem item : items) {
            long perYear = switch (item.interval()) {
                case "month" -> 12;
                case "year" -> 1;
                case "week" -> 52;
                case "day" -> 365;
                default -> throw new IllegalArgumentException("unknown price interval " + item.interval());
            };
            BigInteger itemNumerator = BigInteger.valueOf(item.unitAmount())
                    .multiply(BigInteger.valueOf(item.quantity()))
                    .multiply(BigInteger.valueOf(perYear));
            BigInteger itemDenominator = BigInteger.valueOf(12L * Math.max(1, item.intervalCount()));
            numerator = numerator.multiply(itemDenominator).add(itemNumerator.multiply(denominator));
            denominator = denominator.multiply(itemDenominator);
        }
        numerator = numerator.multiply(BigInteger.valueOf(months));
        // Half up: floor((2n + d) / 2d) for a non-negative n.
        return numerator.shiftLeft(1).add(denominator).divide(denominator.shiftLeft(1)).longValueExact();
    }
}
