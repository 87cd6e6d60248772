-- How the assistant behaves for a user (Settings > Assistant), and the guidance the nightly
-- analysis learns for them; both are read when a reply's context is assembled.
CREATE TABLE assistant_preferences (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    assistant_name  TEXT NOT NULL DEFAULT '',
    tone            TEXT NOT NULL DEFAULT '',
    response_length TEXT NOT NULL DEFAULT 'medium',
    language        TEXT NOT NULL DEFAULT '',
    memory_enabled  BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE learned_guidance (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    guidance   TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
