-- Webhooks v2 (docs/promises.md, Webhooks v2 events). A commission FirstPromoter denied before the bridge applied it is DENIED,
-- so a late approval older than the denial grants nothing; event_at is FirstPromoter's timestamp of the
-- event that decided the row's state (the approval applied, or the denial), to order the next one.
ALTER TABLE fulfilments DROP CONSTRAINT fulfilments_state_known;
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_state_known
    CHECK (state IN ('RECEIVED', 'GRANTED', 'QUEUED', 'PAID', 'FAILED', 'PARKED', 'REVERSED', 'DENIED'));
ALTER TABLE fulfilments ADD COLUMN event_at TIMESTAMP WITH TIME ZONE;

-- Whose reward: null is the promoter's (every legacy row); REFERRAL names the referred customer, whose
-- id names the derived ledger account when the reward has no cust_id.
ALTER TABLE fulfilments ADD COLUMN recipient_kind VARCHAR(16);
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_recipient_kind CHECK (recipient_kind IN ('PROMOTER', 'REFERRAL'));
ALTER TABLE fulfilments ADD COLUMN recipient_id BIGINT;

-- A percentage discount's terms from FirstPromoter's v2 reward (docs/promises.md, Discount terms): its provider coupon, and its
-- duration (once, forever, repeating-N); null for a legacy delivery (the bridge's own once-only coupon).
ALTER TABLE fulfilments ADD COLUMN provider_coupon_id VARCHAR(255);
ALTER TABLE fulfilments ADD COLUMN discount_duration VARCHAR(32);

-- Each webhooks v2 event that got a final answer (not a 503), kept bridge.firstpromoter.event-retention
-- (30 days): a re-sent event is answered at once with what it got.
CREATE TABLE commission_events (
    event_id       VARCHAR(64)   NOT NULL PRIMARY KEY,
    commission_id  BIGINT        NOT NULL,
    event_type     VARCHAR(64)   NOT NULL,
    outcome        VARCHAR(32)   NOT NULL,
    detail         VARCHAR(1000),
    answered_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX commission_events_answered_at ON commission_events (answered_at);
