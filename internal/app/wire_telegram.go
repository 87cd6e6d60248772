package app

import (
	"context"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/privacy"
	"myally.app/ally/internal/ratelimit"
	"myally.app/ally/internal/telegram"
)

// wireTelegram builds the Telegram bot on chat: its API and webhook routes (always, so
// the web can tell that Telegram is off), the goodbye job, the "telegram" delivery
// channel of scheduled tasks, and the unlink of a deleted account in the deletion's
// transaction; a serving instance connects to the Bot API.
func (m *Main) wireTelegram(ctx context.Context) error {
	limiter := ratelimit.New(m.DB, m.JWTSecret)
	link := ratelimit.Rule{Name: "telegram_link", Max: 20, Window: time.Hour}
	svc, err := telegram.New(telegram.Deps{
		DB:            m.DB,
		Chat:          m.Chat,
		Queue:         func() *jobs.Queue { return m.Jobs },
		Token:         m.Config.TelegramBotToken,
		APIURL:        m.Config.TelegramAPIURL,
		Webhook:       m.Config.TelegramWebhook(),
		WebhookSecret: m.Config.TelegramWebhookSecret,
		PublicURL:     m.Config.PublicURL,
		AllowLink:     func(ctx context.Context, uid string) error { return limiter.Allow(ctx, link, uid) },
		Logger:        m.Logger,
	})
	if err != nil {
		return err
	}
	m.Telegram = svc
	svc.Register(m.Workers)
	svc.Routes(m.Mux, m.Auth.Require)
	m.Privacy.OnDelete(svc.UnlinkForDeletion)
	m.Privacy.AddThirdParties(func(ctx context.Context, userID string) ([]privacy.ThirdParty, error) {
		var out []privacy.ThirdParty
		const receives = "messages sent via Telegram"
		used, err := m.Chat.ChannelsUsed(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, u := range used {
			if u.Name == "telegram" {
				out = append(out, privacy.ThirdParty{Name: "Telegram", Receives: receives, FirstAt: db.Time(u.First), LastAt: db.Time(u.Last)})
			}
		}
		// A linked chat got the link's confirmation before any message.
		if st, err := svc.StatusOf(ctx, userID); err != nil {
			return nil, err
		} else if st.LinkedAt != nil {
			out = append(out, privacy.ThirdParty{Name: "Telegram", Receives: receives, FirstAt: *st.LinkedAt, LastAt: *st.LinkedAt})
		}
		return out, nil
	})
	if svc.Enabled() {
		m.Tasks.AddChannel(svc.Channel())
	}
	m.OnStart(svc.Start)
	m.OnShutdown(svc.Stop)
	return nil
}
