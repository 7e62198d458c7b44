package io.fulfilmentbridge.fulfilment;

import java.time.Duration;

/**
 * The start-up checks of the settings records: each failure names the property, so a wrong setting
 * stops the bridge at start-up with a message saying which one, not at the first delivery.
 */
public final class SettingChecks {

    private SettingChecks() {
    }

    public static Duration positive(Duration value, String key) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be more than 0, was " + value);
        }
        return value;
    }

    public static Duration notNegative(Duration value, String key) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(key + " must not be negative, was " + value);
        }
        return value;
    }

    public static long atLeast(long value, long min, String key) {
        if (value < min) {
            throw new IllegalArgumentException(key + " must be at least " + min + ", was " + value);
        }
        return value;
    }

    public static long between(long value, long min, long max, String key) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    public static String notBlank(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " must not be empty");
        }
        return value;
    }

    /** A secret as toString() shows it: whether it is set, never its value. */
    public static String masked(String secret) {
        return secret == null || secret.isBlank() ? "[empty]" : "[set]";
    }
}
