-- Tool steps that changed the user's data (chat tool registry): changes_data marks them
-- (memory writes among them, so earlier memory writes are marked too), undo holds the
-- undo action a tool offers for its change (a JSON object, or '' for none).
ALTER TABLE message_steps ADD COLUMN changes_data INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_steps ADD COLUMN undo TEXT NOT NULL DEFAULT '';
UPDATE message_steps SET changes_data = writes_memory;
