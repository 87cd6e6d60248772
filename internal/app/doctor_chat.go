package app

import (
	"context"
	"strings"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/llm"
)

func init() { RegisterDoctorCheck(checkChat) }

// checkChat reports whether the assistant can answer: without a model provider the
// server runs, but sending a message answers 503 no_provider.
func checkChat(ctx context.Context, cfg config.Config, d *db.DB) []Check {
	setup, err := llm.FromConfig(cfg, nil)
	if err != nil {
		return []Check{{"chat", Problem, err.Error()}}
	}
	var checks []Check
	for _, p := range setup.Status.Providers {
		if p.Missing == llm.GeminiUnpaidNotice {
			checks = append(checks, Check{"gemini", Warning, "GEMINI_API_KEY is set but the Gemini fallback stays off: " +
				"Google's unpaid tier uses prompts and replies to improve its products, which the privacy policy rules out; " +
				"set ALLY_GEMINI_PAID_TIER=true once the key's project has billing enabled (docs/providers.md)"})
		}
	}
	order := setup.Status.Configured()
	if len(order) == 0 {
		return append(checks, Check{"chat", Warning, "no model provider is configured, so sending a message answers 503 no_provider: set ANTHROPIC_API_KEY (or OPENAI_API_KEY, GEMINI_API_KEY; see docs/providers.md)"})
	}
	return append(checks, Check{"chat", OK, "replies use " + strings.Join(order, ", then ")})
}
