package config

import (
	"net/url"
	"regexp"
	"strings"
)

func init() { RegisterValidator(validateTelegram) }

// webhookSecretChars is what Telegram accepts as a webhook secret_token.
var webhookSecretChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// TelegramWebhook reports whether Telegram updates arrive by webhook (else long polling):
// ALLY_TELEGRAM_MODE, with auto meaning webhook when the public URL is https.
func (c Config) TelegramWebhook() bool {
	switch c.TelegramMode {
	case "webhook":
		return true
	case "polling":
		return false
	}
	return strings.HasPrefix(c.PublicURL, "https://")
}

// validateTelegram checks the Telegram settings when a bot token is set.
func validateTelegram(c Config) []string {
	var out []string
	switch c.TelegramMode {
	case "auto", "webhook", "polling":
	default:
		out = append(out, "ALLY_TELEGRAM_MODE: must be auto, webhook or polling")
	}
	if c.TelegramBotToken == "" {
		return out
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		out = append(out, "ALLY_TELEGRAM_API_URL: must be an http(s) URL")
	}
	if !strings.Contains(c.TelegramBotToken, ":") {
		out = append(out, "ALLY_TELEGRAM_BOT_TOKEN: must look like 123456:ABC… (the token @BotFather gave)")
	}
	if c.TelegramWebhook() {
		if !webhookSecretChars.MatchString(c.TelegramWebhookSecret) {
			out = append(out, "ALLY_TELEGRAM_WEBHOOK_SECRET: webhook mode needs a secret of 1-256 characters from A-Z a-z 0-9 _ -")
		}
		// Telegram itself posts only to https; a local fake Bot API accepts http.
		if c.PublicURL == "" {
			out = append(out, "ALLY_TELEGRAM_MODE: webhook mode needs ALLY_PUBLIC_URL (the webhook is ALLY_PUBLIC_URL/webhooks/telegram)")
		}
	}
	return out
}
