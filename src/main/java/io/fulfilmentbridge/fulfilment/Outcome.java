package io.fulfilmentbridge.fulfilment;

import java.util.Locale;

/**
 * What a delivery's answer says happened, and the HTTP status FirstPromoter acts on: 200 marks the
 * reward completed, another 2xx keeps it pending, anything else is sent again. The only place an
 * outcome becomes a status is {@code AnswerStatuses} (which lets bridge.cash.queued-status change
 * queued's).
 */
public enum Outcome {
    GRANTED(200),
    /** A webhooks v2 denial taken in: an applied reward reversed, or a reward not applied yet kept from being applied. */
    REVERSED(200),
    QUEUED(202),
    PARKED(202),
    IGNORED(202),
    REJECTED(400),
    UNAUTHORIZED(401),
    METHOD_NOT_ALLOWED(405),
    TOO_LARGE(413),
    UNSUPPORTED_MEDIA_TYPE(415),
    ERROR(500),
    RETRY(503);

    private final int defaultStatus;

    Outcome(int defaultStatus) {
        this.defaultStatus = defaultStatus;
    }

    public int defaultStatus() {
        return defaultStatus;
    }

    /** As answers, logs and metrics write it: granted, method_not_allowed. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }
}
