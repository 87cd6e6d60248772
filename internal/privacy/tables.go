package privacy

import "myally.app/ally/internal/db"

// Tables declares every table of the schema, in an order where a table comes after the
// tables its owner path goes through. A feature that adds a table adds its declaration
// here: TestEveryTableIsDeclared fails until it does, and for every user-owned table the
// export and purge tests then prove its rows are exported and purged.
//
// User-owned tables are exported section by section in this order; the purge deletes them
// in the reverse order, the users row last.
var Tables = []Table{
	// Accounts (auth).
	UserTable("users", "profile", Self(), Single(), Omit("password_hash")),
	UserTable("identities", "sign_in_identities", ByUserID(), OrderBy("created_at, id")),
	UserTable("sessions", "sessions", ByUserID(), OrderBy("created_at, id")),
	UserTable("sign_ins", "sign_in_history", ByUserID(), OrderBy("created_at, id")),
	UserTable("account_tokens", "account_tokens", ByUserID(), Omit("token_hash"), OrderBy("created_at")),
	UserTable("oauth_grants", "google_sign_in_grants", ByUserID(), Omit("code_hash", "binding_hash"), OrderBy("created_at")),
	UserTable("mail_outbox", "emails", ByUserID(), OrderBy("created_at, id")),
	SystemTable("oauth_states", "a Google sign-in in progress before any account is known: hashed state, nonce and PKCE verifier, expiring in minutes"),
	SystemTable("rate_limits", "fixed-window counters keyed by an HMAC of the limit and subject, so no address or id is readable; expire with their window"),

	// Assistant preferences (chat).
	UserTable("assistant_preferences", "preferences", ByUserID(), Booleans("memory_enabled", "nightly_analysis")),

	// Memory files.
	UserTable("memory_files", "memory_files", ByUserID(), OrderBy("path")),
	UserTable("memory_versions", "memory_versions", ByUserID(), OrderBy("seq")),

	// Conversations.
	UserTable("conversations", "conversations", ByUserID(), OrderBy("created_at, id")),
	UserTable("messages", "messages", Via("conversation_id", "conversations", "id", ByUserID()), OrderBy("conversation_id, seq"), Booleans("fallback")),
	UserTable("message_steps", "tool_steps", Via("message_id", "messages", "id", Via("conversation_id", "conversations", "id", ByUserID())), OrderBy("message_id, seq"), Booleans("is_error", "writes_memory", "changes_data")),
	UserTable("message_feedback", "feedback", ByUserID(), OrderBy("id")),

	// Usage.
	UserTable("usage_events", "usage_events", ByUserID(), OrderBy("created_at, id")),
	UserTable("usage_daily", "usage_daily", ByUserID(), OrderBy("day")),
	UserTable("usage_conversations", "usage_conversations", ByUserID(), OrderBy("conversation_id")),
	UserTable("usage_reservations", "usage_reservations", ByUserID(), OrderBy("created_at, message_id"), Booleans("fallback")),

	// Scheduled tasks: the definitions, their runs and the deliveries of each run's result.
	UserTable("tasks", "tasks", ByUserID(), OrderBy("created_at, id"), Booleans("enabled", "paused_by_deletion")),
	UserTable("task_runs", "task_runs", ByUserID(), OrderBy("task_id, scheduled_for"), Booleans("manual")),
	UserTable("task_deliveries", "task_deliveries", ByUserID(), OrderBy("run_id, channel")),

	// Billing (Stripe): the customer id and the subscriptions' state; never card data.
	UserTable("billing_customers", "billing", ByUserID(), Single()),
	UserTable("billing_subscriptions", "billing_subscriptions", ByUserID(), OrderBy("fetched_at, stripe_subscription_id"), Booleans("cancel_at_period_end")),
	SystemTable("billing_events", "ids and types of Stripe webhook events already applied, so a replay changes nothing; no user id or content, pruned after 30 days"),
	// Telegram: the linked chat, one-time link tokens (hashes only) and the updates of
	// the linked chat kept to ignore duplicates.
	UserTable("telegram_links", "telegram_link", ByUserID(), OrderBy("linked_at")),
	UserTable("telegram_link_tokens", "telegram_link_tokens", ByUserID(), Omit("token_hash"), OrderBy("created_at")),
	UserTable("telegram_updates", "telegram_updates", ByUserID(), OrderBy("update_id")),
	// Nightly analysis (insights): every version of the learned guidance, the notes of
	// analysed nights and the state of each user-night.
	UserTable("guidance_versions", "learned_guidance", ByUserID(), OrderBy("seq")),
	UserTable("nightly_notes", "nightly_notes", ByUserID(), OrderBy("created_at, id")),
	UserTable("nightly_runs", "nightly_runs", ByUserID(), OrderBy("night")),
	SystemTable("nightly_batches", "Message Batches submitted by the nightly sweep: the provider's batch id, request count, status and times; no user id or content"),

	// Changelog and policy pages: the notices of policy changes each user was sent, and the
	// policy versions each user accepted at sign-up (the export's `policy` section).
	UserTable("policy_notices", "policy_notices", ByUserID(), OrderBy("created_at, entry_id")),
	UserTable("policy_acceptances", "policy", ByUserID(), OrderBy("accepted_at, document, version")),
	SystemTable("changelog_entries", "the operator's public changelog (What's new); author_id names the admin who wrote an entry and is cleared when that account is purged"),
	SystemTable("policy_mailings", "one row per published policy change: how many users its notice mailing was planned for; no user id"),
	SystemTable("policy_mailing_batches", "the batches of a policy-change mailing and their counts; a batch waiting to run names the first and last account id of its range (boundaries, not a list of users), cleared once it has run, minutes after publishing; the notices themselves are in policy_notices"),
	SystemTable("policy_versions", "every saved version of the operator's privacy policy and terms; author_id names the admin who saved it and is cleared when that account is purged"),

	// Plumbing.
	SystemTable("schema_migrations", "which database migrations have been applied"),
	SystemTable("sqlite_sequence", "SQLite's counters for AUTOINCREMENT keys"),
	// A delivery job names only its email, but a failed attempt records the mail server's
	// answer, which can quote the address: the jobs of the user's emails go too.
	SystemTable("river_job", "the job queue; a job's arguments may name a user, and a failed email delivery's error may quote the address, so the purge deletes the jobs that mention the user and the delivery jobs of their emails",
		Mentions(map[db.Dialect]string{
			db.SQLite: `instr(json(args), $1) > 0 OR (kind = 'mail_send' AND
				json_extract(args, '$.mail_id') IN (SELECT id FROM mail_outbox WHERE user_id = $1))`,
			db.Postgres: `strpos(args::text, $1) > 0 OR (kind = 'mail_send' AND
				args->>'mail_id' IN (SELECT id FROM mail_outbox WHERE user_id = $1))`,
		})),
	SystemTable("river_leader", "which instance schedules periodic jobs"),
	SystemTable("river_migration", "which job-queue migrations have been applied"),
	SystemTable("river_notification", "job-queue wake-up notices on SQLite (kinds and queue names only)"),
	SystemTable("river_queue", "job-queue names and their paused state"),

	// The admin audit log (internal/admin): who did what to which account and when, kept 12
	// months. It names accounts by id only; the purge deletes the rows naming the user, as
	// actor or target, so a purged account's id is left nowhere.
	SystemTable("admin_audit", "administrators' actions (actor id, action, target id, the reason given), kept 12 months; no user content, and the purge deletes the rows naming the purged account",
		Mentions(map[db.Dialect]string{
			db.SQLite:   `actor_id = $1 OR target_id = $1`,
			db.Postgres: `actor_id = $1 OR target_id = $1`,
		})),

	// Built-in HTTPS (internal/tlsx).
	SystemTable("tls_certificates", "the ACME certificate cache: the server's account key and each configured domain's key and certificate; no user data"),
}
