-- Billing (BILL): the Stripe customer of each user who started a checkout, the state of
-- their subscriptions as last read from Stripe, and the ids of the webhook events already
-- applied (unique, recorded in the same transaction as the event's effect, so a replayed
-- or concurrently delivered event changes nothing). No card data is ever stored.
CREATE TABLE billing_customers (
    user_id            TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    stripe_customer_id TEXT NOT NULL UNIQUE,
    -- enforced_plan is the plan whose task limits were last applied, so a change of the
    -- effective plan (a downgrade, the end of a past-due grace) is enforced once.
    enforced_plan      TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL
);

CREATE TABLE billing_subscriptions (
    stripe_subscription_id TEXT PRIMARY KEY,
    user_id                TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stripe_customer_id     TEXT NOT NULL,
    -- price is the subscription item's Stripe price; the plan is the one configured with it.
    price                  TEXT NOT NULL DEFAULT '',
    -- status is Stripe's: active, trialing, past_due, canceled, unpaid, incomplete, ...
    status                 TEXT NOT NULL,
    current_period_end     BIGINT,
    cancel_at_period_end   INTEGER NOT NULL DEFAULT 0,
    -- past_due_since is when Ally first saw the subscription past due (the grace starts).
    past_due_since         BIGINT,
    -- fetched_at is when this state was read from Stripe: an older read never overwrites
    -- a newer one, whatever order events are processed in.
    fetched_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX billing_subscriptions_user ON billing_subscriptions (user_id);

CREATE TABLE billing_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX billing_events_received ON billing_events (received_at);
