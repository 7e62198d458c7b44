package io.fulfilmentbridge.fulfilment;

import java.util.Objects;

/** A fulfilment's identity: its source and its id within that source. */
public record FulfilmentKey(Source source, long id) {

    public FulfilmentKey {
        Objects.requireNonNull(source, "source");
    }

    /** A fulfilment of the legacy fulfilment_pending webhook. */
    public static FulfilmentKey pending(long id) {
        return new FulfilmentKey(Source.FULFILMENT_PENDING, id);
    }

    @Override
    public String toString() {
        return source.name().toLowerCase() + ":" + id;
    }
}
