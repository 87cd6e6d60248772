-- Nightly analysis (insights): the versioned learned guidance, per-conversation quality
-- notes, one row per analysed user-night and the Message Batches that carry them.

-- Every change to a user's learned guidance is a version (nightly review, the user's edit,
-- clear or revert); the current guidance is the highest seq. changes holds, for a nightly
-- version, the JSON list of applied changes with their reasons and the replies behind them.
CREATE TABLE guidance_versions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    text       TEXT NOT NULL,
    source     TEXT NOT NULL,
    night      TEXT NOT NULL DEFAULT '',
    changes    TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, seq)
);

-- The guidance chat read before (one row per user) becomes each user's first version.
INSERT INTO guidance_versions (id, user_id, seq, text, source, night, changes, created_at)
    SELECT 'gv-' || user_id, user_id, 1, guidance, 'nightly', '', '[]', updated_at
    FROM learned_guidance WHERE guidance <> '';
DROP TABLE learned_guidance;

-- A quality note on one conversation of an analysed night (kept 12 months).
CREATE TABLE nightly_notes (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    night           TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_ids     TEXT NOT NULL DEFAULT '[]',
    score           INTEGER NOT NULL,
    issues          TEXT NOT NULL DEFAULT '[]',
    summary         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX nightly_notes_user ON nightly_notes (user_id, created_at);
CREATE INDEX nightly_notes_created ON nightly_notes (created_at);

-- One row per user and local night (the date analysed): the key that makes a night be
-- analysed once across instances and restarts. status: pending (found by the sweep),
-- submitting (its batch being created), submitted (in batch_id), answered (the batch's
-- result is in result, waiting to be applied), fallback (to be analysed by a direct
-- call), done, skipped. result is the model's structured answer until it is applied.
CREATE TABLE nightly_runs (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    night         TEXT NOT NULL,
    status        TEXT NOT NULL,
    batch_id      TEXT NOT NULL DEFAULT '',
    via           TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT '',
    input_tokens  BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cost_micros   BIGINT NOT NULL DEFAULT 0,
    -- the night's feedback events and thumbs-down among them (the operator's report)
    feedback      BIGINT NOT NULL DEFAULT 0,
    thumbs_down   BIGINT NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, night)
);
CREATE INDEX nightly_runs_status ON nightly_runs (status, batch_id);

-- A Message Batch submitted by a sweep (ids and counts only, no content).
CREATE TABLE nightly_batches (
    id         TEXT PRIMARY KEY,
    requests   BIGINT NOT NULL,
    status     TEXT NOT NULL,
    polls      BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
