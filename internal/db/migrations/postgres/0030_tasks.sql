-- Scheduled tasks (TASK): a task's definition and its next due time, one row per run
-- (unique per task and due time, so a run is recorded once however many instances sweep),
-- and one row per delivery of a run's result to a channel.
CREATE TABLE tasks (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    instruction         TEXT NOT NULL,
    -- schedule is the JSON schedule object of the API; timezone an IANA name.
    schedule            TEXT NOT NULL,
    timezone            TEXT NOT NULL,
    -- channels is a comma-separated list of delivery channel names.
    channels            TEXT NOT NULL DEFAULT '',
    enabled             INTEGER NOT NULL DEFAULT 1,
    -- paused_by_deletion marks tasks the account's deletion paused: recovery resumes them.
    paused_by_deletion  INTEGER NOT NULL DEFAULT 0,
    conversation_id     TEXT NOT NULL DEFAULT '',
    -- next_run_at is the next due time (NULL: none, e.g. a one-off that ran).
    next_run_at         BIGINT,
    -- failures counts failed runs in a row; disabled_reason says why Ally paused the task.
    failures            INTEGER NOT NULL DEFAULT 0,
    disabled_reason     TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX tasks_user ON tasks (user_id, created_at);
CREATE INDEX tasks_due ON tasks (next_run_at) WHERE enabled = 1;

CREATE TABLE task_runs (
    id            TEXT PRIMARY KEY,
    task_id       TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scheduled_for BIGINT NOT NULL,
    -- manual marks a run asked for with "run now".
    manual        INTEGER NOT NULL DEFAULT 0,
    -- status: queued, running, succeeded, failed or missed.
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    started_at    BIGINT,
    finished_at   BIGINT,
    message_id    TEXT NOT NULL DEFAULT '',
    tokens        BIGINT NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    UNIQUE (task_id, scheduled_for)
);
CREATE INDEX task_runs_user ON task_runs (user_id, created_at);

CREATE TABLE task_deliveries (
    id          TEXT PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES task_runs(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    -- status: pending, sent or failed.
    status      TEXT NOT NULL,
    provider_id TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    sent_at     BIGINT,
    created_at  BIGINT NOT NULL,
    UNIQUE (run_id, channel)
);
CREATE INDEX task_deliveries_user ON task_deliveries (user_id);
