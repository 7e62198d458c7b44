-- Telling FirstPromoter that a reward is fulfilled (docs/promises.md, Telling FirstPromoter): what its API answered to the last failed
-- attempt, shown to operators once the notice is given up; and when the first attempt was made, since a
-- v2 commission's mark_fulfilled is retried until bridge.firstpromoter.mark-fulfilled-for has passed since then.
ALTER TABLE fulfilments ADD COLUMN firstpromoter_error VARCHAR(1000);
ALTER TABLE fulfilments ADD COLUMN firstpromoter_first_tried_at TIMESTAMP WITH TIME ZONE;
