package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/llm"
)

// wireChat builds the chat service on the model providers and registers its routes; when
// the instance starts serving it recovers replies cut by a crash, and at shutdown it lets
// replies in progress finish (or stores them as interrupted).
func (m *Main) wireChat(ctx context.Context) error {
	models, err := llm.FromConfig(m.Config, m.Logger)
	if err != nil {
		return err
	}
	m.models = models.Status
	for _, p := range models.Status.Providers {
		if p.Missing == llm.GeminiUnpaidNotice {
			m.Logger.Warn("gemini fallback off: GEMINI_API_KEY is set but ALLY_GEMINI_PAID_TIER is not true; Google's unpaid tier uses prompts to improve its products (docs/providers.md)")
		}
	}
	m.Chat = chat.New(chat.Deps{
		Config:          m.Config,
		DB:              m.DB,
		Logger:          m.Logger,
		Models:          chatModels{models},
		Memory:          m.Memory,
		Ledger:          chat.UsageLedger{Usage: m.Usage},
		Timezones:       m.Auth,
		InstanceFile:    chatInstanceFile(m.Config.DataDir),
		RequireUser:     m.Auth.Require,
		RequireVerified: m.Auth.RequireVerified,
		StreamContext:   m.StreamContext(),
		Queue:           func() *jobs.Queue { return m.Jobs },
	})
	m.Chat.Register(m.Mux)
	m.Chat.RegisterJobs(m.Workers)
	// Only a serving instance recovers and sweeps replies: a CLI command opening the
	// same SQLite database must not take a running server's replies for orphans.
	m.OnStart(func(ctx context.Context) error {
		if err := m.Chat.Recover(ctx); err != nil {
			return err
		}
		m.Chat.Start()
		return nil
	})
	m.OnShutdown(m.Chat.Shutdown)
	return nil
}

// chatInstanceFile is where this instance keeps its id across restarts: per host, so
// that instances on several hosts sharing a data directory do not take each other's
// replies for their own.
func chatInstanceFile(dataDir string) string {
	host, _ := os.Hostname()
	return filepath.Join(dataDir, "chat-instance-"+strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, host))
}

// chatModels is the configured router, with the providers it was built from.
type chatModels struct{ *llm.Setup }

func (c chatModels) Stream(ctx context.Context, req *llm.Request) *llm.Turn {
	return c.Router.Stream(ctx, req)
}

func (c chatModels) Providers() []string { return c.Status.Configured() }
