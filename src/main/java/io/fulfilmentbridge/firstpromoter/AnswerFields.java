package io.fulfilmentbridge.firstpromoter;

import com.fasterxml.jackson.databind.JsonNode;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.Recipient;
import java.util.regex.Pattern;

/**
 * Reading fields of FirstPromoter's answers: what a field holds, or null when it holds nothing usable;
 * and the identities a reward may not name.
 */
final class AnswerFields {

    static final int MAX_CUST_ID = 255;
    static final int MAX_EMAIL = 320;
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

    private AnswerFields() {
    }

    static String text(JsonNode node) {
        return node.isTextual() || node.isNumber() ? node.asText() : null;
    }

    /** A whole number of months, as a JSON integer or a string of digits; anything else is none. */
    static Integer months(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.canConvertToInt() ? node.intValue() : null;
        }
        if (node.isTextual() && node.asText().trim().matches("-?[0-9]{1,9}")) {
            return Integer.valueOf(node.asText().trim());
        }
        return null;
    }

    static String emptyIsNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    /** A positive id given as a JSON integer or a string of digits. */
    static Long id(JsonNode node) {
        String digits = node.isIntegralNumber() && node.canConvertToLong() ? Long.toString(node.longValue())
                : node.isTextual() ? node.asText() : null;
        if (digits == null || !DIGITS.matcher(digits).matches()) {
            return null;
        }
        long id = Long.parseLong(digits);
        return id > 0 ? id : null;
    }

    static Long firstId(JsonNode node, JsonNode second, Long otherwise) {
        Long id = id(node);
        if (id == null && second != null) {
            id = id(second);
        }
        return id != null ? id : otherwise;
    }

    /**
     * A cust_id or email that would name somebody else's account: longer than its column (cutting it
     * could name another), holding NUL (PostgreSQL's text cannot), or starting with a derived account's prefix.
     */
    static String refusedIdentity(Fulfilment f) {
        String whose = f.recipient().kind() == Recipient.Kind.REFERRAL ? "the referred customer's uid" : "the promoter's cust_id";
        String whoseEmail = f.recipient().kind() == Recipient.Kind.REFERRAL ? "the referred customer's email" : "the promoter's email";
        if (f.custId() != null && f.custId().length() > MAX_CUST_ID) {
            return whose + " is longer than " + MAX_CUST_ID + " characters";
        }
        if (f.email() != null && f.email().length() > MAX_EMAIL) {
            return whoseEmail + " is longer than " + MAX_EMAIL + " characters";
        }
        if (f.custId() != null && f.custId().indexOf('\u0000') >= 0) {
            return whose + " contains a NUL character (U+0000)";
        }
        if (f.email() != null && f.email().indexOf('\u0000') >= 0) {
            return whoseEmail + " contains a NUL character (U+0000)";
        }
        String reserved = Recipient.reservedPrefixOf(f.custId());
        if (reserved != null) {
            return whose + " starts with " + reserved + ", a prefix reserved for the bridge's own derived accounts: "
                    + "it would book into another's account";
        }
        return null;
    }
}
