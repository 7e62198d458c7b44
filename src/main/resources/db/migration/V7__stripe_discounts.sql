-- Discounts in Stripe (docs/promises.md, Discount terms) are stored as grants too: strategy mon-discount (a balance
-- credit: credit_amount and currency) or discount-per (the coupon added to the subscription, below).
-- months is 0 for both.
ALTER TABLE stripe_grants ADD COLUMN coupon_id VARCHAR(255);
