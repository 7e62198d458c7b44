package io.fulfilmentbridge.billing;

/** What a billing system did with a grant: granted (detail says how), or not, with the reason to park it. */
public record GrantResult(boolean granted, String detail) {

    public static GrantResult applied(String detail) {
        return new GrantResult(true, detail);
    }

    public static GrantResult parked(String reason) {
        return new GrantResult(false, reason);
    }
}
