package io.fulfilmentbridge.firstpromoter;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What API v2 answered, reused for a while: each entry expires after the ttl, and past maxEntries the
 * least recently used goes, so a flood of distinct ids cannot grow memory. JDK only; callers are few
 * and calls are short, so one lock is enough.
 */
final class ExpiringCache<K, V> {

    private record Entry<V>(V value, long expiresAtNanos) {
    }

    private final long ttlNanos;
    private final LongSupplier clock;
    private final LinkedHashMap<K, Entry<V>> entries;

    ExpiringCache(Duration ttl, int maxEntries, LongSupplier nanoClock) {
        this.ttlNanos = ttl.toNanos();
        this.clock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The value, or null when there is none or it expired. */
    synchronized V get(K key) {
        Entry<V> entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (clock.getAsLong() - entry.expiresAtNanos() >= 0) {
            entries.remove(key);
            return null;
        }
        return entry.value();
    }

    synchronized void put(K key, V value) {
        entries.put(key, new Entry<>(value, clock.getAsLong() + ttlNanos));
    }

    synchronized int size() {
        return entries.size();
    }
}
