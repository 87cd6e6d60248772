-- Usage (CHAT-6, CHAT-8): a ledger row per model call, daily aggregates per user and
-- local day (which also carry the day's reserved messages for the plan limits), and
-- running totals per conversation. Retention purges old ledger rows and aggregates by
-- their own tables.
CREATE TABLE usage_events (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id    TEXT NOT NULL DEFAULT '',
    message_id         TEXT NOT NULL DEFAULT '',
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    fallback           BOOLEAN NOT NULL DEFAULT FALSE,
    input_tokens       BIGINT NOT NULL,
    output_tokens      BIGINT NOT NULL,
    cache_read_tokens  BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cost_micros        BIGINT NOT NULL,
    -- day is the user's local date of the call (YYYY-MM-DD).
    day                TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX usage_events_user_day ON usage_events (user_id, day);
CREATE INDEX usage_events_created ON usage_events (created_at);

CREATE TABLE usage_daily (
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day                TEXT NOT NULL,
    messages           BIGINT NOT NULL DEFAULT 0,
    model_calls        BIGINT NOT NULL DEFAULT 0,
    fallback_calls     BIGINT NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cost_micros        BIGINT NOT NULL DEFAULT 0,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);

CREATE TABLE usage_conversations (
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id    TEXT NOT NULL,
    model_calls        BIGINT NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cost_micros        BIGINT NOT NULL DEFAULT 0,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
