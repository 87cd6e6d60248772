-- The admin audit log (ACC-9): one row per action an administrator took, kept 12 months.
-- actor_id and target_id are ids, never addresses; details is a JSON object (the reason
-- given for a deletion, say) written by the code, never a user's content.
CREATE TABLE admin_audit (
    id          TEXT PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX admin_audit_created ON admin_audit (created_at, id);
CREATE INDEX admin_audit_actor ON admin_audit (actor_id);
CREATE INDEX admin_audit_target ON admin_audit (target_id);
