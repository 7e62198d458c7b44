-- Grants in the billing systems other than Stripe (Chargebee, Recurly, Paddle Billing; docs/promises.md, What proves a lost grant landed),
-- stored with their target before they are sent, so one whose answer was lost can be settled by
-- re-sending under the same idempotency key or by reading the system. base_at is the subscription's
-- next billing date (or term end) read before the write, target_at the date the write sets; both
-- null for a credit. One row per fulfilment, whichever system it was sent to.
CREATE TABLE billing_grants (
    source           VARCHAR(8)   NOT NULL,
    fulfilment_id    BIGINT       NOT NULL,
    billing_system   VARCHAR(16)  NOT NULL,
    customer_id      VARCHAR(255) NOT NULL,
    subscription_id  VARCHAR(255) NOT NULL,
    kind             VARCHAR(32)  NOT NULL,
    months           INTEGER      NOT NULL,
    base_at          TIMESTAMP WITH TIME ZONE,
    target_at        TIMESTAMP WITH TIME ZONE,
    credit_amount    BIGINT,
    currency         VARCHAR(8),
    state            VARCHAR(8)   NOT NULL CHECK (state IN ('SENT', 'APPLIED')),
    key_generation   INTEGER      NOT NULL,
    key_sent_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT billing_grants_key PRIMARY KEY (source, fulfilment_id)
);
CREATE INDEX billing_grants_customer ON billing_grants (billing_system, customer_id, state);

-- Grants to one customer of a billing system are applied one at a time, across bridge instances.
CREATE TABLE billing_customer_locks (
    billing_system  VARCHAR(16)  NOT NULL,
    customer_id     VARCHAR(255) NOT NULL,
    holder          VARCHAR(64)  NOT NULL,
    locked_until    TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT billing_customer_locks_key PRIMARY KEY (billing_system, customer_id)
);
