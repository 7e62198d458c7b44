-- pgbench: the SQL of one credits webhook, as the bridge sends it (FulfilmentClaims.claim, then the
-- transaction of routes/credits.camel.yaml): the claim in its own commit, then the GRANTED state guarded
-- by the lease and the two ledger entries in one transaction. Two commits per webhook, as in the bridge.
-- Ids are random in a space of 9e18: a collision in a run of a few million is practically impossible.
\set id random(1, 9000000000000000000)
INSERT INTO fulfilments (fulfilment_id, event_id, unit, amount, promoter_id, customer_ref, email, received_status, state, lease_holder, lease_until, created_at, updated_at) VALUES (:id, 'ev' || :id, 'credits', 20, 235, '23452', 'sam@example.org', 'pending', 'RECEIVED', 'lease-' || :id, now() + interval '15 seconds', now(), now());
BEGIN;
UPDATE fulfilments SET state = 'GRANTED', reason = NULL, lease_holder = NULL, lease_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE fulfilment_id = :id AND lease_holder = 'lease-' || :id;
INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount) VALUES (:id, 'PROMOTER', '23452', 'credits', 20);
INSERT INTO ledger_entries (fulfilment_id, account_kind, account, unit, amount) VALUES (:id, 'FUNDING', 'credits', 'credits', -20);
END;
