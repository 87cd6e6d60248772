package app

import (
	"context"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/llm"
)

// wireChat builds the chat service, recovers replies cut by a crash, registers its routes
// and lets replies in progress finish (or be stored as interrupted) at shutdown.
func (m *Main) wireChat(ctx context.Context) error {
	m.Chat = chat.New(chat.Deps{
		Config:          m.Config,
		DB:              m.DB,
		Logger:          m.Logger,
		Models:          chatModels(m),
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

// chatModels builds the model router from the provider settings, in fallback order.
func chatModels(m *Main) *llm.Router {
	c := m.Config
	var ps []llm.Provider
	if c.AnthropicAPIKey != "" {
		ps = append(ps, llm.NewAnthropic(llm.ProviderConfig{APIKey: c.AnthropicAPIKey, BaseURL: c.AnthropicBaseURL, Model: "claude-sonnet-4-5", SmallModel: "claude-haiku-4-5"}))
	}
	if c.OpenAIAPIKey != "" {
		ps = append(ps, llm.NewOpenAI(llm.ProviderConfig{APIKey: c.OpenAIAPIKey, BaseURL: c.OpenAIBaseURL, Model: "gpt-4.1", SmallModel: "gpt-4.1-mini"}))
	}
	if c.GeminiAPIKey != "" {
		if g, err := llm.NewGemini(llm.ProviderConfig{APIKey: c.GeminiAPIKey, BaseURL: c.GeminiBaseURL, Model: "gemini-2.5-flash"}); err == nil {
			ps = append(ps, g)
		}
	}
	return llm.NewRouter(llm.RouterConfig{Logger: m.Logger}, ps...)
}
