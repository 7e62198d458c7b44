package io.fulfilmentbridge.fulfilment;

import java.util.Objects;

/**
 * Who gets a reward: the promoter (always, for a legacy delivery) or, for a webhooks v2 commission whose
 * reward FirstPromoter marks as the referred customer's, that customer (docs/promises.md, Whose reward). The id names the
 * ledger account the bridge derives when the reward has no cust_id.
 */
public record Recipient(Kind kind, long id) {

    public enum Kind {
        PROMOTER("fp-promoter:"),
        REFERRAL("fp-referral:");

        private final String accountPrefix;

        Kind(String accountPrefix) {
            this.accountPrefix = accountPrefix;
        }

        /** The prefix of the accounts derived for this kind; no cust_id may start with it (docs/promises.md, Whose reward). */
        public String accountPrefix() {
            return accountPrefix;
        }
    }

    public Recipient {
        Objects.requireNonNull(kind, "kind");
    }

    public static Recipient promoter(long promoterId) {
        return new Recipient(Kind.PROMOTER, promoterId);
    }

    public static Recipient referral(long referralId) {
        return new Recipient(Kind.REFERRAL, referralId);
    }

    /** The ledger account named after the recipient, for a reward without a cust_id. */
    public String derivedAccount() {
        return kind.accountPrefix + id;
    }

    /** A cust_id that would name a derived account: refused, so no delivery books into another's. */
    public static String reservedPrefixOf(String custId) {
        if (custId == null) {
            return null;
        }
        for (Kind kind : Kind.values()) {
            if (custId.startsWith(kind.accountPrefix)) {
                return kind.accountPrefix;
            }
        }
        return null;
    }
}
