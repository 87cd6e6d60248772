package app

import (
	"context"
	"time"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/telegram"
)

func init() { RegisterDoctorCheck(checkTelegram) }

// checkTelegram checks the bot token with getMe when Telegram is on, and says how updates
// will arrive.
func checkTelegram(ctx context.Context, cfg config.Config, _ *db.DB) []Check {
	if cfg.TelegramBotToken == "" {
		return []Check{{"telegram", OK, "off (ALLY_TELEGRAM_BOT_TOKEN is empty)"}}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	name, err := telegram.CheckToken(ctx, cfg.TelegramBotToken, cfg.TelegramAPIURL)
	if err != nil {
		return []Check{{"telegram", Problem, "getMe failed (check ALLY_TELEGRAM_BOT_TOKEN and ALLY_TELEGRAM_API_URL): " + err.Error()}}
	}
	mode := "long polling (one instance polls)"
	if cfg.TelegramWebhook() {
		mode = "webhook at " + cfg.PublicURL + telegram.WebhookPath
	}
	return []Check{{"telegram", OK, "bot @" + name + ", updates by " + mode}}
}
