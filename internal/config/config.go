// Package config reads Ally's configuration from the environment once, at start-up, into a
// typed Config that is passed explicitly to whatever needs it.
//
// Every field carries three tags: env (the variable name), default, and doc (one line for the
// reference table in docs/configuration.md). A field marked secret:"true" is never printed.
package config

import (
	"time"
)

// Config is the whole configuration of an Ally process.
type Config struct {
	Addr            string        `env:"ALLY_ADDR" default:"127.0.0.1:8080" doc:"Address the HTTP server listens on (host:port)."`
	DataDir         string        `env:"ALLY_DATA_DIR" default:"./data" doc:"Directory for the SQLite database and generated secrets; created if missing."`
	DatabaseURL     string        `env:"ALLY_DATABASE_URL" default:"" doc:"Empty for the embedded SQLite database; a postgres:// URL to use PostgreSQL (scale-out); pool_max_conns=N in the URL sizes the connection pool (default 16)." secret:"true"`
	PublicURL       string        `env:"ALLY_PUBLIC_URL" default:"" doc:"Public base URL used in links in emails; defaults to http://ALLY_ADDR, or with built-in HTTPS to https:// and the first of ALLY_TLS_DOMAINS (else ALLY_ADDR)."`
	JWTSecret       string        `env:"ALLY_JWT_SECRET" default:"" doc:"Secret that signs session tokens (at least 32 bytes). Empty: generated once into ALLY_DATA_DIR/jwt_secret. Must be the same on every instance." secret:"true"`
	LogLevel        string        `env:"ALLY_LOG_LEVEL" default:"info" doc:"Log level: debug, info, warn or error."`
	LogFormat       string        `env:"ALLY_LOG_FORMAT" default:"json" doc:"Log format: json or text."`
	Mailer          string        `env:"ALLY_MAILER" default:"outbox" doc:"Email sender: outbox (stored in the database), resend or smtp."`
	DeletionGrace   time.Duration `env:"ALLY_DELETION_GRACE" default:"720h" doc:"How long a deleted account can be recovered before it is purged."`
	DebugAddr       string        `env:"ALLY_DEBUG_ADDR" default:"" doc:"If set (e.g. 127.0.0.1:6060), serves Go profiling (/debug/pprof/) on this separate address; keep it private."`
	ShutdownTimeout time.Duration `env:"ALLY_SHUTDOWN_TIMEOUT" default:"25s" doc:"How long shutdown waits for requests, streams and jobs to finish."`
	MaxBodyBytes    int64         `env:"ALLY_MAX_BODY_BYTES" default:"1048576" doc:"Largest request body accepted, in bytes."`
	TrustedProxies  []string      `env:"ALLY_TRUSTED_PROXIES" default:"" doc:"Comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed."`

	// TLS.
	TLS              string   `env:"ALLY_TLS" default:"off" doc:"Built-in HTTPS: off (plain HTTP, e.g. behind a TLS proxy), acme (certificates from an ACME CA such as Let's Encrypt, cached in the database) or files (ALLY_TLS_CERT_FILE and ALLY_TLS_KEY_FILE, reloaded when they change)."`
	TLSDomains       []string `env:"ALLY_TLS_DOMAINS" default:"" doc:"Comma-separated domain names certificates are obtained for (ALLY_TLS=acme); requests for any other name are refused."`
	TLSCertFile      string   `env:"ALLY_TLS_CERT_FILE" default:"" doc:"PEM certificate chain, leaf first (ALLY_TLS=files)."`
	TLSKeyFile       string   `env:"ALLY_TLS_KEY_FILE" default:"" doc:"PEM private key of ALLY_TLS_CERT_FILE (ALLY_TLS=files)."`
	ACMEDirectoryURL string   `env:"ALLY_ACME_DIRECTORY_URL" default:"https://acme-v02.api.letsencrypt.org/directory" doc:"Directory URL of the ACME CA (ALLY_TLS=acme); the default is Let's Encrypt."`
	TLSRedirectAddr  string   `env:"ALLY_TLS_REDIRECT_ADDR" default:":80" doc:"With built-in HTTPS, address of the plain-HTTP listener that redirects to HTTPS and answers ACME http-01 challenges; empty for none."`

	// Accounts, sign-in and mail.
	BcryptCost           int      `env:"ALLY_BCRYPT_COST" default:"12" doc:"bcrypt cost for password hashes (4-31); each step doubles the work."`
	RequireVerifiedEmail bool     `env:"ALLY_REQUIRE_VERIFIED_EMAIL" default:"true" doc:"Whether users must verify their email address before they can chat."`
	SignupsPerIPPerDay   int      `env:"ALLY_SIGNUPS_PER_IP_PER_DAY" default:"10" doc:"Accounts one client IP may create per day (signup velocity limit)."`
	DisposableDomains    []string `env:"ALLY_DISPOSABLE_DOMAINS" default:"" doc:"Comma-separated email domains refused at signup, in addition to the built-in disposable-domain list."`
	DisposableCheck      bool     `env:"ALLY_DISPOSABLE_CHECK" default:"true" doc:"Whether signups from the built-in list of disposable email domains are refused."`
	GoogleClientID       string   `env:"ALLY_GOOGLE_CLIENT_ID" default:"" doc:"OAuth client id for Google sign-in; empty disables it."`
	GoogleClientSecret   string   `env:"ALLY_GOOGLE_CLIENT_SECRET" default:"" doc:"OAuth client secret for Google sign-in." secret:"true"`
	GoogleIssuerURL      string   `env:"ALLY_GOOGLE_ISSUER_URL" default:"https://accounts.google.com" doc:"OpenID Connect issuer for Google sign-in."`
	MailFrom             string   `env:"ALLY_MAIL_FROM" default:"" doc:"Sender of emails, e.g. Ally <ally@example.com>; required with resend and smtp."`
	ResendAPIKey         string   `env:"ALLY_RESEND_API_KEY" default:"" doc:"Resend API key (ALLY_MAILER=resend)." secret:"true"`
	ResendBaseURL        string   `env:"ALLY_RESEND_BASE_URL" default:"" doc:"Resend API base URL; empty for the official endpoint."`
	SMTPHost             string   `env:"ALLY_SMTP_HOST" default:"" doc:"SMTP server host (ALLY_MAILER=smtp)."`
	SMTPPort             int      `env:"ALLY_SMTP_PORT" default:"587" doc:"SMTP server port."`
	SMTPUsername         string   `env:"ALLY_SMTP_USERNAME" default:"" doc:"SMTP user name; empty for no authentication."`
	SMTPPassword         string   `env:"ALLY_SMTP_PASSWORD" default:"" doc:"SMTP password." secret:"true"`
	SMTPTLS              string   `env:"ALLY_SMTP_TLS" default:"starttls" doc:"SMTP transport security: starttls, tls (implicit) or none (local relays only)."`

	AnthropicAPIKey  string `env:"ANTHROPIC_API_KEY" default:"" doc:"Anthropic API key; enables Claude (the primary provider)." secret:"true"`
	AnthropicBaseURL string `env:"ANTHROPIC_BASE_URL" default:"" doc:"Anthropic API base URL; empty for the official endpoint."`
	OpenAIAPIKey     string `env:"OPENAI_API_KEY" default:"" doc:"OpenAI API key; enables the OpenAI fallback." secret:"true"`
	OpenAIBaseURL    string `env:"OPENAI_BASE_URL" default:"" doc:"OpenAI API base URL; also points at an OpenAI-compatible local server."`
	GeminiAPIKey     string `env:"GEMINI_API_KEY" default:"" doc:"Google Gemini API key; enables the Gemini fallback." secret:"true"`
	GeminiBaseURL    string `env:"GOOGLE_GEMINI_BASE_URL" default:"" doc:"Gemini API base URL; empty for the official endpoint."`
	GeminiPaidTier   bool   `env:"ALLY_GEMINI_PAID_TIER" default:"false" doc:"Set to true to confirm the Gemini key is on a paid tier (Google does not use its prompts to improve its products); without it the Gemini fallback stays off."`

	// Model providers: order, models per tier, timeouts, retries and circuit breakers.
	LLMProviders           []string      `env:"ALLY_LLM_PROVIDERS" default:"anthropic,openai,gemini" doc:"Order in which model providers are tried, comma-separated; a provider is used only when its API key is set."`
	LLMAnthropicModel      string        `env:"ALLY_LLM_ANTHROPIC_MODEL" default:"claude-sonnet-4-5" doc:"Claude model that answers users."`
	LLMAnthropicSmallModel string        `env:"ALLY_LLM_ANTHROPIC_SMALL_MODEL" default:"claude-haiku-4-5" doc:"Claude model for background work (summaries, nightly analysis)."`
	LLMOpenAIModel         string        `env:"ALLY_LLM_OPENAI_MODEL" default:"gpt-5-mini" doc:"OpenAI (or OpenAI-compatible server) model that answers users."`
	LLMOpenAISmallModel    string        `env:"ALLY_LLM_OPENAI_SMALL_MODEL" default:"gpt-5-nano" doc:"OpenAI model for background work."`
	LLMGeminiModel         string        `env:"ALLY_LLM_GEMINI_MODEL" default:"gemini-2.5-flash" doc:"Gemini model that answers users."`
	LLMGeminiSmallModel    string        `env:"ALLY_LLM_GEMINI_SMALL_MODEL" default:"gemini-2.5-flash-lite" doc:"Gemini model for background work."`
	LLMCacheTTL            string        `env:"ALLY_LLM_CACHE_TTL" default:"1h" doc:"Lifetime of the Anthropic prompt-cache entry of the stable prefix (tools, operator prompt, preferences, guidance): 1h or 5m. A 1-hour write costs 2× input instead of 1.25×, and pays off as soon as a user starts a second conversation within the hour; the history is always cached for 5 minutes."`
	LLMConnectTimeout      time.Duration `env:"ALLY_LLM_CONNECT_TIMEOUT" default:"10s" doc:"How long to wait for a provider to accept a request before trying again or falling back."`
	LLMFirstTokenTimeout   time.Duration `env:"ALLY_LLM_FIRST_TOKEN_TIMEOUT" default:"60s" doc:"How long to wait for the first streamed event of a reply before trying again or falling back."`
	LLMIdleTimeout         time.Duration `env:"ALLY_LLM_IDLE_TIMEOUT" default:"60s" doc:"Longest silence allowed between two streamed events; after the first text it fails the reply."`
	LLMMaxRetries          int           `env:"ALLY_LLM_MAX_RETRIES" default:"2" doc:"Retries of a transient failure (timeout, 429, 5xx, 529) on the same provider before falling back."`
	LLMBreakerThreshold    int           `env:"ALLY_LLM_BREAKER_THRESHOLD" default:"5" doc:"Consecutive failures that open a provider's circuit breaker (it is then skipped)."`
	LLMBreakerCooldown     time.Duration `env:"ALLY_LLM_BREAKER_COOLDOWN" default:"30s" doc:"How long an open circuit breaker skips its provider before one probe request is let through."`

	// Chat: context assembly, the agent loop and reply streaming.
	SystemPrompt        string        `env:"ALLY_SYSTEM_PROMPT" default:"" doc:"Operator's base instructions for the assistant, first in every conversation; empty for the built-in prompt."`
	ContextTokens       int           `env:"ALLY_CONTEXT_TOKENS" default:"16000" doc:"Token budget for the conversation history sent with each turn; older turns are summarised once into a stored summary."`
	ChatMaxSteps        int           `env:"ALLY_CHAT_MAX_STEPS" default:"8" doc:"Most model calls (tool-use steps) one reply may take."`
	ChatMaxMessageChars int           `env:"ALLY_CHAT_MAX_MESSAGE_CHARS" default:"32000" doc:"Longest message a user can send, in characters."`
	ChatFlushInterval   time.Duration `env:"ALLY_CHAT_FLUSH_INTERVAL" default:"500ms" doc:"How often the text of a reply being generated is saved (also saved every ALLY_CHAT_FLUSH_BYTES)."`
	ChatFlushBytes      int           `env:"ALLY_CHAT_FLUSH_BYTES" default:"2048" doc:"Unsaved reply text, in bytes, that triggers a save before the interval."`
	ChatKeepAlive       time.Duration `env:"ALLY_CHAT_KEEPALIVE" default:"15s" doc:"Interval of keep-alive comments on idle reply streams."`
	ChatFollowInterval  time.Duration `env:"ALLY_CHAT_FOLLOW_INTERVAL" default:"1s" doc:"How often a stream following a reply generated by another instance checks for new text (on PostgreSQL notifications wake it sooner)."`

	// Nightly analysis.
	NightlyHour   int `env:"ALLY_NIGHTLY_HOUR" default:"3" doc:"Local hour (0-23) after which each user's previous day is reviewed by the nightly analysis (picked up until six hours later)."`
	NightlyTokens int `env:"ALLY_NIGHTLY_TOKENS" default:"60000" doc:"Input-token budget of one user's nightly review: conversations beyond it are summarised or left out."`

	// Policy pages and the changelog.
	OperatorName     string `env:"ALLY_OPERATOR_NAME" default:"Ally" doc:"Who runs this Ally: named in the privacy policy and terms pages (/privacy, /terms)."`
	PrivacyContact   string `env:"ALLY_PRIVACY_CONTACT" default:"privacy@myally.app" doc:"Where privacy requests go: the address the privacy policy gives for questions, data requests and reports of a child's account."`
	PolicyNoticeDays int    `env:"ALLY_POLICY_NOTICE_DAYS" default:"30" doc:"Least notice, in days, between publishing a policy change in the changelog (which emails every active user) and the date it takes effect."`

	// Scheduled tasks.
	TasksGrace time.Duration `env:"ALLY_TASKS_GRACE" default:"1h" doc:"A scheduled run missed (e.g. while Ally was down) by more than this is recorded as missed instead of run late."`

	// Telegram.
	TelegramBotToken      string `env:"ALLY_TELEGRAM_BOT_TOKEN" default:"" doc:"Telegram bot token from @BotFather. Empty: Telegram off." secret:"true"`
	TelegramAPIURL        string `env:"ALLY_TELEGRAM_API_URL" default:"https://api.telegram.org" doc:"Bot API base URL (tests and cmd/faketelegram point it at a local fake)."`
	TelegramMode          string `env:"ALLY_TELEGRAM_MODE" default:"auto" doc:"How updates arrive: webhook (Telegram posts to ALLY_PUBLIC_URL/webhooks/telegram), polling (getUpdates; one instance polls), or auto: webhook when ALLY_PUBLIC_URL is https, else polling."`
	TelegramWebhookSecret string `env:"ALLY_TELEGRAM_WEBHOOK_SECRET" default:"" doc:"Checked against X-Telegram-Bot-Api-Secret-Token on every webhook call (1-256 of A-Z a-z 0-9 _ -); required in webhook mode." secret:"true"`

	// Plans and usage.
	Plans       string `env:"ALLY_PLANS" default:"" doc:"Plans as a JSON list: [{id, name, stripe_price, limits: {tokens_per_day, messages_per_day, active_tasks, min_task_interval, memory_file_bytes, memory_total_bytes, fallback_per_day}}]; a limit that is null or omitted is unlimited. The plan with id free (else the first) is the default. Empty: built-in free and pro plans."`
	ModelPrices string `env:"ALLY_MODEL_PRICES" default:"" doc:"Model prices for cost estimates, as JSON: {model: {input, output, cache_read, cache_write}} in US dollars per million tokens; adds to or replaces the built-in prices of current Claude, OpenAI and Gemini models. A name also prices dated versions that start with it."`

	// Billing.
	StripeSecretKey     string        `env:"ALLY_STRIPE_SECRET_KEY" default:"" doc:"Stripe secret API key (sk_live_… or sk_test_…); empty turns billing off and every user is on the default plan." secret:"true"`
	StripeWebhookSecret string        `env:"ALLY_STRIPE_WEBHOOK_SECRET" default:"" doc:"Signing secret (whsec_…) of the Stripe webhook endpoint POST /webhooks/stripe; required with ALLY_STRIPE_SECRET_KEY." secret:"true"`
	StripeAPIURL        string        `env:"ALLY_STRIPE_API_URL" default:"" doc:"Stripe API base URL; empty for the official endpoint (tests point it at stripe-mock or a local fake)."`
	BillingGrace        time.Duration `env:"ALLY_BILLING_GRACE" default:"168h" doc:"How long a past-due subscription (a failed payment) keeps its plan before the user is moved to the default plan."`
}
