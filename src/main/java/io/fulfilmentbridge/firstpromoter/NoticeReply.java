package io.fulfilmentbridge.firstpromoter;

/**
 * What one call telling FirstPromoter got: sent, or why not and whether another attempt may help.
 * oneIdsFault: what may be one id's failure, not the call's (a 2xx whose batch says some id was not
 * processed, which it need not say; a 4xx on the ids): a batch is then sent again one id a call.
 */
record NoticeReply(boolean sent, boolean retryable, String detail, boolean oneIdsFault) {
    static final NoticeReply SENT = new NoticeReply(true, false, null);

    NoticeReply(boolean sent, boolean retryable, String detail) {
        this(sent, retryable, detail, false);
    }
}
