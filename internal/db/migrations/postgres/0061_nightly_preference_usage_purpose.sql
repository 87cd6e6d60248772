-- The opt-out of nightly analysis (Settings > Assistant), and the purpose of a model call
-- in the usage ledger: '' for chat, 'nightly_review' for the nightly analysis, which is
-- shown to the user but not counted against the chat quota.
ALTER TABLE assistant_preferences ADD COLUMN nightly_analysis BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE usage_events ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
