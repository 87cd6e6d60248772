-- Feedback on assistant replies, kept as events: the current rating of a message is its
-- latest event; an empty rating clears it.
CREATE TABLE message_feedback (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rating     TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX message_feedback_message ON message_feedback (message_id, id);
CREATE INDEX message_feedback_user ON message_feedback (user_id, created_at);
