-- Telling FirstPromoter through its API that a reward it still holds pending is fulfilled
-- (docs/promises.md, Telling FirstPromoter): DUE when a payout is paid or an operator's replay applies a reward, SENT once
-- FirstPromoter took it, GAVE_UP when it refused or the last attempt failed. Attempts are counted
-- before each call, so a crash neither loses a notice nor lets a dead API be called without end.
ALTER TABLE fulfilments ADD COLUMN firstpromoter_notice VARCHAR(8);
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_firstpromoter_notice
    CHECK (firstpromoter_notice IN ('DUE', 'SENT', 'GAVE_UP'));
ALTER TABLE fulfilments ADD COLUMN firstpromoter_attempts INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE fulfilments ADD COLUMN firstpromoter_next_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE fulfilments ADD COLUMN firstpromoter_notified_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX fulfilments_firstpromoter_due ON fulfilments (firstpromoter_notice, firstpromoter_next_at);
