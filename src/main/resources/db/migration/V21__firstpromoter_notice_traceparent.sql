-- The trace of the delivery (or replay, payout result, reconciliation run) that made a reward's
-- FirstPromoter notice due (docs/operations.md, Traces): route firstpromoter-notify makes its call in
-- that trace. A W3C traceparent is 55 characters; null when tracing is off.
ALTER TABLE fulfilments ADD COLUMN firstpromoter_traceparent VARCHAR(55);
