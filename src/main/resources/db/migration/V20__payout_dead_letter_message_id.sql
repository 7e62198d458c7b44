-- The JMS message id of each dead-lettered payout result (docs/operations.md, Dead-lettered payout results):
-- a result the broker delivers again, because the transaction that took it did not commit, is listed and
-- counted once. Rows written before this have none (NULL), as have results sent without a message id.
ALTER TABLE payout_dead_letters ADD COLUMN message_id VARCHAR(255);
ALTER TABLE payout_dead_letters ADD CONSTRAINT payout_dead_letters_message_id UNIQUE (message_id);
