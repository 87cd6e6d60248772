-- Token reservations (CHAT-8): each turn reserves an estimate of its tokens when it
-- claims its conversation, so that concurrent turns at the token limit cannot all pass;
-- usage_daily.reserved_tokens is what the day's open reservations add up to, checked in
-- the same conditional update as the recorded tokens. A reservation also carries the
-- model call in progress as streamed so far, so that a call cut by a stop or a crash is
-- still recorded when the reservation is settled (at the end of the turn, or by the
-- recovery that marks the reply interrupted).
ALTER TABLE usage_daily ADD COLUMN reserved_tokens BIGINT NOT NULL DEFAULT 0;

CREATE TABLE usage_reservations (
    message_id         TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id    TEXT NOT NULL DEFAULT '',
    -- day is the user's local date the tokens (and the turn's message) were reserved on.
    day                TEXT NOT NULL,
    tokens             BIGINT NOT NULL,
    -- recorded_calls counts the turn's model calls already in the ledger; pending_call is
    -- the index of the call the figures below belong to (-1: none).
    recorded_calls     BIGINT NOT NULL DEFAULT 0,
    pending_call       BIGINT NOT NULL DEFAULT -1,
    provider           TEXT NOT NULL DEFAULT '',
    model              TEXT NOT NULL DEFAULT '',
    fallback           BOOLEAN NOT NULL DEFAULT FALSE,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX usage_reservations_user ON usage_reservations (user_id);
