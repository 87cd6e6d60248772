-- Outgoing email. With the outbox sender (the default) delivered messages stay here, for
-- admins and `ally mail list`; with Resend or SMTP the bodies are cleared once sent.
CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',
    sender      TEXT NOT NULL DEFAULT '',
    provider_id TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
CREATE INDEX mail_outbox_user ON mail_outbox (user_id);
