-- Reply versions: a conversation's messages form a tree. parent_id is the message a
-- message follows (a user message: the reply before it on its branch; a reply: the user
-- message it answers; NULL for a first message). Regenerating adds a sibling reply,
-- editing a user message adds a sibling user message; nothing is replaced.
-- leaf_id is the last message of the branch the conversation shows (and the model reads);
-- summary_through_id is the last message the stored summary covers: the summary holds
-- for a branch only when that message is on it.
-- title_source says where the title came from: 'auto' (the start of the first message,
-- until the small model titles it), 'pending' (the title job is queued), 'model', 'user'
-- (a rename, never overwritten) or '' (set by a feature, or from before titles).
-- shown_at is when a message last ended the branch shown: switching to a version shows
-- the branch below it that was shown last (the newest message below it when none was).
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN shown_at BIGINT;
ALTER TABLE conversations ADD COLUMN leaf_id TEXT;
ALTER TABLE conversations ADD COLUMN summary_through_id TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN title_source TEXT NOT NULL DEFAULT '';
-- Existing conversations are linear: each message follows the one before it.
UPDATE messages SET parent_id = (SELECT p.id FROM messages p
    WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq ORDER BY p.seq DESC LIMIT 1);
UPDATE conversations SET leaf_id = (SELECT m.id FROM messages m
    WHERE m.conversation_id = conversations.id ORDER BY m.seq DESC LIMIT 1);
UPDATE conversations SET summary_through_id = COALESCE((SELECT m.id FROM messages m
    WHERE m.conversation_id = conversations.id AND m.seq <= conversations.summary_through ORDER BY m.seq DESC LIMIT 1), '')
    WHERE summary_through > 0;
CREATE INDEX messages_parent ON messages (conversation_id, parent_id);
