package io.fulfilmentbridge.fulfilment;

/**
 * What a claim decided. Held: this delivery holds the fulfilment's lease and applies attempt
 * {@code attempt}; every state change it makes is guarded by the lease. Not held: the fulfilment was
 * settled before, and {@code answer} says how.
 */
public record Claim(FulfilmentKey key, String lease, int attempt, Answer answer) {

    static Claim heldBy(FulfilmentKey key, String lease, int attempt) {
        return new Claim(key, lease, attempt, null);
    }

    static Claim settled(FulfilmentKey key, Answer answer) {
        return new Claim(key, null, 0, answer);
    }

    public boolean held() {
        return lease != null;
    }
}
