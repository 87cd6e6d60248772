-- Which instance generates a streaming reply (chat liveness): a restarted instance marks
-- the replies its previous run left streaming interrupted at once, instead of waiting for
-- their heartbeat to go stale as it must for other instances' replies.
ALTER TABLE messages ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
