-- The amount exactly as the delivery gave it, in plain form: the DECIMAL(38, 8) column cuts what lies
-- beyond 8 decimals, so a replay read 1.000000001 free months as 1. An amount within docs/promises.md's bounds
-- (64 significant digits, exponent -64 to 64) is at most 130 characters in plain form. Rows written
-- before this migration have none; their replay falls back to the amount column.
ALTER TABLE fulfilments ADD COLUMN amount_received VARCHAR(130);
