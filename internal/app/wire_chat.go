package app

import (
	"context"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/llm"
)

// wireChat builds the chat service on the model providers, recovers replies cut by a
// crash, registers its routes and lets replies in progress finish (or be stored as
// interrupted) at shutdown.
func (m *Main) wireChat(ctx context.Context) error {
	models, err := llm.FromConfig(m.Config, m.Logger)
	if err != nil {
		return err
	}
	m.Chat = chat.New(chat.Deps{
		Config:          m.Config,
		DB:              m.DB,
		Logger:          m.Logger,
		Models:          chatModels{models},
		Memory:          m.Memory,
		Ledger:          chat.UsageLedger{Usage: m.Usage},
		RequireUser:     m.Auth.Require,
		RequireVerified: m.Auth.RequireVerified,
		StreamContext:   m.StreamContext(),
	})
	if err := m.Chat.Recover(ctx); err != nil {
		return err
	}
	m.Chat.Register(m.Mux)
	m.Chat.Start()
	m.OnShutdown(m.Chat.Shutdown)
	return nil
}

// chatModels is the configured router, with the providers it was built from.
type chatModels struct{ *llm.Setup }

func (c chatModels) Stream(ctx context.Context, req *llm.Request) *llm.Turn {
	return c.Router.Stream(ctx, req)
}

func (c chatModels) Providers() []string { return c.Status.Configured() }
