-- Which idempotency key a Stripe grant was last sent with (1: <prefix><id>, n: <prefix><id>-n) and
-- when that key was first sent: a grant whose answer was lost is re-sent with the same key only within
-- bridge.stripe.idempotency-window of that (Stripe forgets a key after 24 hours), then with the next.
ALTER TABLE stripe_grants ADD COLUMN key_generation INTEGER DEFAULT 1 NOT NULL;
ALTER TABLE stripe_grants ADD COLUMN key_sent_at TIMESTAMP WITH TIME ZONE;
