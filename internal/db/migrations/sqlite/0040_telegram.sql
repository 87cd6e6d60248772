-- Telegram (TG). A conversation may be held in a channel besides the web (chat owns the
-- column; 'telegram' marks the one a linked Telegram chat talks in).
ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT '';

-- One linked private chat per user, one user per chat. status is linked or broken (the
-- chat blocked the bot: Telegram answered 403); conversation_id is the conversation the
-- chat talks in now (/new starts another).
CREATE TABLE telegram_links (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    chat_id         BIGINT NOT NULL UNIQUE,
    username        TEXT NOT NULL DEFAULT '',
    conversation_id TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'linked',
    linked_at       BIGINT NOT NULL,
    broken_at       BIGINT
);

-- A one-time deep-link token (/start <token>): only its SHA-256 is kept, 10 minutes. bot
-- is the bot it was made for: a link to a previous bot does not redeem on a new one.
CREATE TABLE telegram_link_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    bot        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX telegram_link_tokens_user ON telegram_link_tokens (user_id);

-- Updates of linked chats, stored (unique update_id) before the webhook answers, so a
-- duplicate delivery is ignored and a crash loses nothing: text waits here until chat has
-- stored the message (then it is cleared and handled_at set).
CREATE TABLE telegram_updates (
    update_id   BIGINT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id     BIGINT NOT NULL,
    text        TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL,
    handled_at  BIGINT
);
CREATE INDEX telegram_updates_user ON telegram_updates (user_id);
CREATE INDEX telegram_updates_pending ON telegram_updates (received_at) WHERE handled_at IS NULL;
