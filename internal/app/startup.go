package app

import (
	"context"
	"fmt"
	"strings"

	"myally.app/ally/internal/llm"
)

// startupNotes are what `ally serve` tells the operator once it listens, in plain words:
// which model provider answers (or how to set one up), where email goes, and, on a fresh
// install, that the first account created becomes the admin. They hold no secret: names of
// providers and models, never a key.
func (m *Main) startupNotes(ctx context.Context) []string {
	var notes []string
	notes = append(notes, providerNote(m.models)...)
	notes = append(notes, m.mailNote())
	fresh, err := m.freshInstall(ctx)
	if err != nil {
		m.Logger.Warn("startup: count accounts", "err", err)
	}
	if fresh {
		notes = append(notes, "No account exists yet: the first account created (sign up in the web app) becomes this server's admin.")
	}
	return notes
}

// providerNote says which providers answer, in fallback order, or the two ways to get one.
func providerNote(st llm.Status) []string {
	var ready []string
	for _, p := range st.Providers {
		if !p.Configured {
			continue
		}
		s := fmt.Sprintf("%s (%s)", p.Name, p.Model)
		if p.BaseURL != "" {
			s += " at " + p.BaseURL
		}
		ready = append(ready, s)
	}
	if len(ready) == 0 {
		return []string{
			"No model provider is configured, so the assistant cannot answer yet. Two ways to fix it, then start Ally again:",
			"  1. Set an API key: ANTHROPIC_API_KEY=sk-ant-… (or OPENAI_API_KEY, or GEMINI_API_KEY).",
			"  2. Use a local OpenAI-compatible server such as Ollama: OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_API_KEY=ollama (any key) ALLY_LLM_OPENAI_MODEL=<model>.",
			"  See docs/providers.md.",
		}
	}
	return []string{"Replies come from " + strings.Join(ready, ", then ") + "."}
}

// mailNote says where the email the server sends (verification, reset links) goes.
func (m *Main) mailNote() string {
	switch m.Config.Mailer {
	case "resend":
		return "Email is sent through Resend from " + m.Config.MailFrom + "."
	case "smtp":
		return fmt.Sprintf("Email is sent through the SMTP server %s from %s.", m.Config.SMTPHost, m.Config.MailFrom)
	}
	return "Email is not sent: it stays in the outbox (ALLY_MAILER=outbox). Read it, verification links included, " +
		"with `ally mail list` (`bin/ally mail list` after `make run`), or in the web app's admin area when signed in as an admin."
}

// freshInstall reports whether no account exists yet.
func (m *Main) freshInstall(ctx context.Context) (bool, error) {
	var n int
	if err := m.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS one`).Scan(&n); err != nil {
		return false, fmt.Errorf("app: count accounts: %w", err)
	}
	return n == 0, nil
}
