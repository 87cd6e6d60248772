-- Conversations, their messages and the tool steps of assistant replies.
CREATE TABLE conversations (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title              TEXT NOT NULL DEFAULT '',
    -- active_reply_id is the assistant message being generated, if any: one at a time.
    active_reply_id    TEXT,
    -- summary condenses every message up to seq summary_through (context assembly).
    summary            TEXT NOT NULL DEFAULT '',
    summary_through    BIGINT NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX conversations_user_activity ON conversations (user_id, updated_at, id);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    conversation_id    TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seq                BIGINT NOT NULL,
    role               TEXT NOT NULL,
    content            TEXT NOT NULL DEFAULT '',
    -- status: complete, streaming, stopped, failed or interrupted.
    status             TEXT NOT NULL,
    error_code         TEXT NOT NULL DEFAULT '',
    error_message      TEXT NOT NULL DEFAULT '',
    provider           TEXT NOT NULL DEFAULT '',
    model              TEXT NOT NULL DEFAULT '',
    fallback           INTEGER NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    stop_requested_at  BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_user ON messages (user_id, created_at);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

CREATE TABLE message_steps (
    id            TEXT PRIMARY KEY,
    message_id    TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    -- round numbers the model calls of a reply; text_offset is how much of the reply's
    -- text preceded the call, so the exact exchange can be rebuilt for later turns.
    round         INTEGER NOT NULL,
    text_offset   INTEGER NOT NULL,
    tool_call_id  TEXT NOT NULL,
    tool_name     TEXT NOT NULL,
    input         TEXT NOT NULL,
    result        TEXT NOT NULL,
    is_error      INTEGER NOT NULL DEFAULT 0,
    writes_memory INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    UNIQUE (message_id, seq)
);
CREATE INDEX message_steps_user ON message_steps (user_id);
