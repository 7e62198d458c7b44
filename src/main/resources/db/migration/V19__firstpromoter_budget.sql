-- FirstPromoter's request budget, shared by every instance (docs/promises.md, Within FirstPromoter's
-- limit): one row, updated atomically by each call before it is made, on the database's clock.
-- window_start: the minute the counts are of; used: every request taken in it; background_used: those
-- of reconciliation and notices (at most half); deliveries_waiting_until: a delivery found no request,
-- so background draws yield until then; paused_until: a 429's Retry-After, no call at all before it.
CREATE TABLE firstpromoter_budget (
    id                       INT           NOT NULL PRIMARY KEY,
    window_start             TIMESTAMP WITH TIME ZONE NOT NULL,
    used                     INT           NOT NULL,
    background_used          INT           NOT NULL,
    deliveries_waiting_until TIMESTAMP WITH TIME ZONE NOT NULL,
    paused_until             TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO firstpromoter_budget (id, window_start, used, background_used, deliveries_waiting_until, paused_until)
VALUES (1, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', 0, 0, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00',
        TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00');
