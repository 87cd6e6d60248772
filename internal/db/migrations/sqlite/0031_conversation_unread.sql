-- A conversation a feature marked unread (a scheduled task's result delivered in-app):
-- unread_at is when, NULL once the user has read it. The index counts a user's unread
-- conversations for the sidebar.
ALTER TABLE conversations ADD COLUMN unread_at BIGINT;
CREATE INDEX conversations_unread ON conversations (user_id) WHERE unread_at IS NOT NULL;
