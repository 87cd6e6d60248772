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
	DatabaseURL     string        `env:"ALLY_DATABASE_URL" default:"" doc:"Empty for the embedded SQLite database; a postgres:// URL to use PostgreSQL (scale-out)." secret:"true"`
	PublicURL       string        `env:"ALLY_PUBLIC_URL" default:"" doc:"Public base URL used in links in emails; defaults to http://ALLY_ADDR."`
	JWTSecret       string        `env:"ALLY_JWT_SECRET" default:"" doc:"Secret that signs session tokens (at least 32 bytes). Empty: generated once into ALLY_DATA_DIR/jwt_secret. Must be the same on every instance." secret:"true"`
	LogLevel        string        `env:"ALLY_LOG_LEVEL" default:"info" doc:"Log level: debug, info, warn or error."`
	LogFormat       string        `env:"ALLY_LOG_FORMAT" default:"json" doc:"Log format: json or text."`
	Mailer          string        `env:"ALLY_MAILER" default:"outbox" doc:"Email sender: outbox (stored in the database), resend or smtp."`
	DeletionGrace   time.Duration `env:"ALLY_DELETION_GRACE" default:"720h" doc:"How long a deleted account can be recovered before it is purged."`
	ShutdownTimeout time.Duration `env:"ALLY_SHUTDOWN_TIMEOUT" default:"25s" doc:"How long shutdown waits for requests, streams and jobs to finish."`
	MaxBodyBytes    int64         `env:"ALLY_MAX_BODY_BYTES" default:"1048576" doc:"Largest request body accepted, in bytes."`
	TrustedProxies  []string      `env:"ALLY_TRUSTED_PROXIES" default:"" doc:"Comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed."`

	AnthropicAPIKey  string `env:"ANTHROPIC_API_KEY" default:"" doc:"Anthropic API key; enables Claude (the primary provider)." secret:"true"`
	AnthropicBaseURL string `env:"ANTHROPIC_BASE_URL" default:"" doc:"Anthropic API base URL; empty for the official endpoint."`
	OpenAIAPIKey     string `env:"OPENAI_API_KEY" default:"" doc:"OpenAI API key; enables the OpenAI fallback." secret:"true"`
	OpenAIBaseURL    string `env:"OPENAI_BASE_URL" default:"" doc:"OpenAI API base URL; also points at an OpenAI-compatible local server."`
	GeminiAPIKey     string `env:"GEMINI_API_KEY" default:"" doc:"Google Gemini API key; enables the Gemini fallback." secret:"true"`
	GeminiBaseURL    string `env:"GOOGLE_GEMINI_BASE_URL" default:"" doc:"Gemini API base URL; empty for the official endpoint."`
}
