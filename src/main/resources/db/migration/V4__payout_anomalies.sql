-- Paid results the bridge did not expect (docs/promises.md, The payout queue): a paid attempt other than the latest,
-- or a second attempt paid. One row per paid attempt, so a repeated result adds nothing. Kept after an
-- operator dismisses it (dismissed_at), as the record of what was paid.
CREATE TABLE payout_anomalies (
    fulfilment_id  BIGINT        NOT NULL REFERENCES fulfilments (fulfilment_id),
    attempt        INTEGER       NOT NULL,
    kind           VARCHAR(32)   NOT NULL,
    reason         VARCHAR(1000) NOT NULL,
    reference      VARCHAR(255),
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    dismissed_at   TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (fulfilment_id, attempt)
);
CREATE INDEX payout_anomalies_open ON payout_anomalies (dismissed_at, created_at);
