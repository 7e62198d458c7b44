package io.fulfilmentbridge.firstpromoter;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;

/** For the tests of one part alone, without a database: a budget that always has a request and never pauses. */
final class NoBudget extends FirstPromoterBudget {

    NoBudget(FirstPromoterSettings settings) {
        super(null, null, settings, null);
    }

    @Override
    Instant take(Caller caller, long waitMillis) {
        return Instant.EPOCH;
    }

    @Override
    void awaitRoom(Caller caller, long waitMillis) {
    }

    @Override
    void giveBack(Caller caller, Instant window) {
    }

    @Override
    void answered(int status, HttpHeaders headers) {
    }

    @Override
    void pause(Duration retryAfter) {
    }
}
