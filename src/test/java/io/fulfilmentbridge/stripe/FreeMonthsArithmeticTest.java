package io.fulfilmentbridge.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.stripe.FreeMonthsArithmetic.PricedItem;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FreeMonthsArithmeticTest {

    private static long at(String instant) {
        return Instant.parse(instant).getEpochSecond();
    }

    private static String trialEnd(String now, String trialEnd, int months, String... periodEnds) {
        List<Long> ends = Arrays.stream(periodEnds).map(e -> e == null ? null : at(e)).toList();
        long end = FreeMonthsArithmetic.trialEnd(at(now), trialEnd == null ? null : at(trialEnd), ends, months);
        return Instant.ofEpochSecond(end).toString();
    }

    private static PricedItem item(long unitAmount, long quantity, String interval, long intervalCount) {
        return new PricedItem(unitAmount, quantity, interval, intervalCount);
    }

    @Test
    void startsFromNowWhenTrialAndPeriodsLieBehind() {
        assertThat(trialEnd("2025-03-10T08:00:00Z", "2025-03-01T00:00:00Z", 2, "2025-03-05T00:00:00Z"))
                .isEqualTo("2025-05-10T08:00:00Z");
        assertThat(trialEnd("2025-03-10T08:00:00Z", null, 1)).isEqualTo("2025-04-10T08:00:00Z");
    }

    @Test
    void stacksOnTheLatestOfTrialEndAndItemPeriodEnds() {
        assertThat(trialEnd("2025-03-10T08:00:00Z", "2025-06-20T12:30:00Z", 2, "2025-04-01T00:00:00Z"))
                .isEqualTo("2025-08-20T12:30:00Z");
        assertThat(trialEnd("2025-03-10T08:00:00Z", "2025-04-01T00:00:00Z", 1,
                "2025-04-05T00:00:00Z", null, "2025-04-15T09:15:00Z", "2025-04-10T00:00:00Z"))
                .isEqualTo("2025-05-15T09:15:00Z");
    }

    @Test
    void clampsTheDayToTheMonthsEndInUtc() {
        assertThat(trialEnd("2025-01-01T00:00:00Z", null, 1, "2025-01-31T10:00:00Z")).isEqualTo("2025-02-28T10:00:00Z");
        assertThat(trialEnd("2024-01-01T00:00:00Z", null, 1, "2024-01-31T10:00:00Z")).isEqualTo("2024-02-29T10:00:00Z");
        assertThat(trialEnd("2025-08-01T00:00:00Z", null, 6, "2025-08-31T23:59:59Z")).isEqualTo("2026-02-28T23:59:59Z");
        assertThat(trialEnd("2023-08-01T00:00:00Z", null, 6, "2023-08-31T00:00:00Z")).isEqualTo("2024-02-29T00:00:00Z");
        assertThat(trialEnd("2025-03-01T00:00:00Z", null, 1, "2025-03-31T00:00:00Z")).isEqualTo("2025-04-30T00:00:00Z");
        // The calendar is UTC's: 23:30 on Jan 31 UTC is already Feb 1 further east, yet clamps to Feb 28.
        assertThat(trialEnd("2025-01-01T00:00:00Z", null, 1, "2025-01-31T23:30:00Z")).isEqualTo("2025-02-28T23:30:00Z");
    }

    @ParameterizedTest(name = "{0} x {1} every {3} {2}(s), {4} month(s) -> {5}")
    @CsvSource({
            "1500,  1, month, 1, 1, 1500",
            "1500,  1, month, 1, 3, 4500",
            "12000, 1, year,  1, 1, 1000",
            "12000, 1, year,  2, 1, 500",
            "10000, 1, year,  1, 1, 833",
            "30,    1, year,  1, 1, 3",      // 2.5: half up, not half even
            "1000,  1, month, 3, 1, 333",    // 333.33
            "1000,  1, month, 3, 2, 667",    // 666.67
            "1000,  1, week,  1, 1, 4333",   // 4333.33
            "1000,  1, week,  2, 1, 2167",   // 2166.67
            "100,   1, day,   1, 1, 3042",   // 3041.67
            "1500,  3, month, 1, 2, 9000",
            "999,   4, year,  1, 1, 333",
    })
    void bringsOneItemToMonthsAndRoundsHalfUp(long unitAmount, long quantity, String interval, long intervalCount,
                                                int months, long expected) {
        assertThat(FreeMonthsArithmetic.monthsOfPrice(List.of(item(unitAmount, quantity, interval, intervalCount)), months))
                .isEqualTo(expected);
    }

    @Test
    void sumsItemsExactlyAndRoundsOnceAtTheEnd() {
        // Each item is 333.33 a month: rounded per item 333 + 333 = 666, rounded once 666.67 -> 667.
        List<PricedItem> twoQuarterly = List.of(item(1000, 1, "month", 3), item(1000, 1, "month", 3));
        assertThat(FreeMonthsArithmetic.monthsOfPrice(twoQuarterly, 1)).isEqualTo(667);
        // 4333.33 (weekly) + 3041.67 (daily) + 833.33 (yearly), times 3 months, is exactly 24625; rounding
        // each item's month first would give 3 x (4333 + 3042 + 833) = 24624.
        List<PricedItem> mixed = List.of(item(1000, 1, "week", 1), item(100, 1, "day", 1), item(10000, 1, "year", 1));
        assertThat(FreeMonthsArithmetic.monthsOfPrice(mixed, 3)).isEqualTo(24625);
        // 1.5 (quantity 3) + 0.5 = 2; rounded per item it would be 2 + 1 = 3.
        assertThat(FreeMonthsArithmetic.monthsOfPrice(List.of(item(1, 3, "month", 2), item(1, 1, "month", 2)), 1))
                .isEqualTo(2);
    }

    @ParameterizedTest(name = "{0} in packages of {1}, rounded up {2}: {3}")
    @CsvSource({
            "25, 10, true,  3",
            "25, 10, false, 2",
            "30, 10, true,  3",
            "30, 10, false, 3",
            "1,  10, true,  1",
            "1,  10, false, 0",
            "0,  10, true,  0",
    })
    void billsTheQuantityInPackagesRoundedAsThePriceSays(long quantity, long divideBy, boolean roundUp, long packages) {
        assertThat(FreeMonthsArithmetic.billedQuantity(quantity, divideBy, roundUp)).isEqualTo(packages);
    }
}
