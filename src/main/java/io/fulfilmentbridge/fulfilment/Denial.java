package io.fulfilmentbridge.fulfilment;

/**
 * What a webhooks v2 denial (commission denied or deleted) comes to, from
 * {@link CommissionDecisions#takeDenial}: the applied reward to reverse, or the answer already decided
 * (recorded so a late approval grants nothing, reversed before, or older than the approval it would undo).
 */
public record Denial(FulfilmentKey key, boolean reverse, Answer answer) {

    static Denial reverseIt(FulfilmentKey key) {
        return new Denial(key, true, null);
    }

    static Denial answered(FulfilmentKey key, Answer answer) {
        return new Denial(key, false, answer);
    }
}
