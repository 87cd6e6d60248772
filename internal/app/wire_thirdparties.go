package app

import (
	"context"
	"net/url"
	"strings"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/privacy"
)

// What each third party receives, in the privacy policy's words (section 4).
const (
	receivesModel    = "chat messages and context"
	receivesFallback = "chat messages and context, when Claude was unavailable (limited fallback)"
	receivesMail     = "email address and message content"
)

// wireThirdParties tells privacy which outside services processed a user's data: the
// model providers of the user's replies and background calls, and the email service.
// Billing (Stripe) and Telegram add theirs where they are wired.
func (m *Main) wireThirdParties() {
	models := func(provider string) (name, receives string, ok bool) {
		switch provider {
		case "anthropic":
			return "Anthropic", receivesModel, true
		case "openai":
			if local := m.Config.OpenAIBaseURL; local != "" && !officialOpenAI(local) {
				// An OpenAI-compatible server the operator runs is not a third party of
				// the policy's, but it received the turns: say where they went.
				return "Model server at " + hostOf(local), receivesModel, true
			}
			return "OpenAI", receivesFallback, true
		case "gemini":
			return "Google (Gemini)", receivesFallback, true
		}
		return "", "", false
	}
	m.Privacy.AddThirdParties(func(ctx context.Context, userID string) ([]privacy.ThirdParty, error) {
		var out []privacy.ThirdParty
		replies, err := m.Chat.ProvidersUsed(ctx, userID)
		if err != nil {
			return nil, err
		}
		calls, err := m.Usage.ProvidersUsed(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, u := range append(replies, calls...) {
			if name, receives, ok := models(u.Name); ok {
				out = append(out, privacy.ThirdParty{Name: name, Receives: receives, FirstAt: db.Time(u.First), LastAt: db.Time(u.Last)})
			}
		}
		return out, nil
	})
	m.Privacy.AddThirdParties(func(ctx context.Context, userID string) ([]privacy.ThirdParty, error) {
		senders, err := m.Mail.SendersUsed(ctx, userID)
		if err != nil {
			return nil, err
		}
		var out []privacy.ThirdParty
		for _, u := range senders {
			name := "Resend"
			if u.Name == "smtp" {
				name = "Mail server at " + m.Config.SMTPHost
			}
			out = append(out, privacy.ThirdParty{Name: name, Receives: receivesMail, FirstAt: db.Time(u.First), LastAt: db.Time(u.Last)})
		}
		return out, nil
	})
}

func officialOpenAI(base string) bool {
	u, err := url.Parse(base)
	return err == nil && (u.Hostname() == "openai.com" || strings.HasSuffix(u.Hostname(), ".openai.com"))
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return "the operator's server"
}
