-- The trace of the delivery that queued a payout (docs/operations.md, Traces): the relay sends it on as
-- the payout message's traceparent property. A W3C traceparent is 55 characters; null when tracing is off.
ALTER TABLE payout_outbox ADD COLUMN traceparent VARCHAR(55);
