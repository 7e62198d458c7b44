-- Reconciliation with FirstPromoter's own lists of open rewards (docs/promises.md, Nothing lost when every
-- delivery failed). One row per inbound kind (source v1 or v2): since (nothing created before it is
-- applied; the moment reconciliation first ran on this database unless bridge.reconciliation.since says
-- otherwise), when the next run is due, the lease that lets one run at a time across instances (on the
-- database's clock), and the last run's summary.
CREATE TABLE reconciliation_runs (
    source            VARCHAR(8)    NOT NULL PRIMARY KEY,
    since             TIMESTAMP WITH TIME ZONE NOT NULL,
    next_run_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    lease_holder      VARCHAR(64),
    lease_until       TIMESTAMP WITH TIME ZONE,
    runs              BIGINT        NOT NULL,
    last_started_at   TIMESTAMP WITH TIME ZONE,
    last_finished_at  TIMESTAMP WITH TIME ZONE,
    last_duration_ms  BIGINT,
    last_summary      VARCHAR(2000),
    -- A 429's Retry-After: no run, not even one an operator asks for, before it.
    retry_after_until TIMESTAMP WITH TIME ZONE
);
-- A reward applied by reconciliation says so in its record (its claim's time); a reward FirstPromoter
-- listed as open again after the bridge closed it there is listed for operators from reopened_at.
ALTER TABLE fulfilments ADD COLUMN reconciled_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE fulfilments ADD COLUMN reopened_at TIMESTAMP WITH TIME ZONE;
