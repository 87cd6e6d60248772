-- Memory files: each user's small tree of text files under /memories, and every version
-- of every file (MEM-1, MEM-3). A version holds the full content after the change; a
-- deletion is a version whose content is NULL.
CREATE TABLE memory_files (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    content    TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, path)
);

CREATE TABLE memory_versions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    author     TEXT NOT NULL,
    action     TEXT NOT NULL,
    content    TEXT,
    size       BIGINT NOT NULL,
    other_path TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX memory_versions_path ON memory_versions (user_id, path, seq);
CREATE INDEX memory_versions_user ON memory_versions (user_id, seq);
