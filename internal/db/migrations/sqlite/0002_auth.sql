-- Accounts and authentication: sign-in identities (Google), single-use account tokens
-- (verification, password reset, email change), sign-in history, browser-bound OIDC
-- states and short-lived grants, and shared rate-limit counters.
ALTER TABLE users ADD COLUMN suspended_at BIGINT;

CREATE TABLE identities (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT NOT NULL,
    picture_url  TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

-- Only a SHA-256 of each token is stored; the token itself exists only in the email.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

CREATE TABLE sign_ins (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method     TEXT NOT NULL,
    success    BOOLEAN NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX sign_ins_user ON sign_ins (user_id, created_at);
CREATE INDEX sign_ins_created ON sign_ins (created_at);

-- An OIDC sign-in in progress: the state names it; the browser that started it holds the
-- binding secret in a cookie.
CREATE TABLE oauth_states (
    state_hash   TEXT PRIMARY KEY,
    binding_hash TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

-- A finished OIDC callback waiting for the web app to exchange it: a sign-in of a known
-- user, or a new account still waiting for the 18+ confirmation (data holds the identity).
CREATE TABLE oauth_grants (
    code_hash  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    data       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Fixed-window counters shared by every instance; bucket is a hash of the limit's name
-- and its subject (client IP, email or account), so no address is stored here.
CREATE TABLE rate_limits (
    bucket       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         INTEGER NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX rate_limits_expires ON rate_limits (expires_at);
