-- The changelog (PRIV-7), the policy pages and the notices of policy changes.

-- An entry of the changelog: markdown title and body, a draft until published. A policy
-- change carries the date it takes effect; publishing one emails every active user.
-- author_id is the admin who wrote it (cleared when that account is purged).
CREATE TABLE changelog_entries (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'draft',
    published_at  BIGINT,
    policy_change INTEGER NOT NULL DEFAULT 0,
    effective_at  BIGINT,
    author_id     TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX changelog_entries_published ON changelog_entries (status, published_at);

-- The mailing of one published policy change: how many users it was planned for when it
-- was split into batches (one row per entry: the key that makes the split happen once).
CREATE TABLE policy_mailings (
    entry_id   TEXT PRIMARY KEY,
    total      BIGINT NOT NULL,
    batches    BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One batch of a mailing: the users with ids in (after_id, last_id] who existed when the
-- change was published.
CREATE TABLE policy_mailing_batches (
    entry_id  TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    after_id  TEXT NOT NULL,
    last_id   TEXT NOT NULL,
    size      BIGINT NOT NULL,
    status    TEXT NOT NULL DEFAULT 'queued',
    queued    BIGINT NOT NULL DEFAULT 0,
    skipped   BIGINT NOT NULL DEFAULT 0,
    done_at   BIGINT,
    PRIMARY KEY (entry_id, seq)
);

-- The notice of a policy change to one user: the unique key that makes the email go
-- exactly once, inserted in the transaction that queues it.
CREATE TABLE policy_notices (
    entry_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mail_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (entry_id, user_id)
);
CREATE INDEX policy_notices_user ON policy_notices (user_id);

-- Every saved version of an operator-edited policy page (privacy, terms); version 0 is the
-- text shipped with Ally and is not stored.
CREATE TABLE policy_versions (
    document   TEXT NOT NULL,
    version    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    author_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (document, version)
);

-- Which version of each policy page a user accepted at sign-up.
CREATE TABLE policy_acceptances (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    document    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, document, version)
);
