package telegram_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/telegram"
	"myally.app/ally/internal/telegram/tgtest"
)

const (
	botToken      = "123456:TEST-bot-token"
	webhookSecret = "test_webhook-secret"
	publicURL     = "https://ally.example"
)

// harness is one Ally instance with a fake model and a fake Bot API.
type harness struct {
	*apptest.Server
	tg      *tgtest.Server
	llm     *llmtest.Server
	polling bool
	// env is the instance's configuration (to start another instance like it).
	env map[string]string
}

// modes runs fn in webhook and in polling mode.
func modes(t *testing.T, fn func(t *testing.T, polling bool)) {
	for _, p := range []bool{false, true} {
		name := "webhook"
		if p {
			name = "polling"
		}
		t.Run(name, func(t *testing.T) { fn(t, p) })
	}
}

func start(t testing.TB, tg dbtest.Target, polling bool, extra ...string) *harness {
	t.Helper()
	fake := llmtest.Start(t)
	bot := tgtest.Start(t, botToken)
	mode := "webhook"
	if polling {
		mode = "polling"
	}
	env := map[string]string{
		"ANTHROPIC_API_KEY":            "test-key",
		"ANTHROPIC_BASE_URL":           fake.URL,
		"ALLY_LLM_PROVIDERS":           "anthropic",
		"ALLY_CHAT_FLUSH_INTERVAL":     "20ms",
		"ALLY_CHAT_FOLLOW_INTERVAL":    "20ms",
		"ALLY_PLANS":                   `[{"id":"free","name":"Free","limits":{}}]`,
		"ALLY_PUBLIC_URL":              publicURL,
		"ALLY_TELEGRAM_BOT_TOKEN":      botToken,
		"ALLY_TELEGRAM_API_URL":        bot.URL,
		"ALLY_TELEGRAM_MODE":           mode,
		"ALLY_TELEGRAM_WEBHOOK_SECRET": webhookSecret,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	s := apptest.Start(t, tg, apptest.Options{Env: env})
	h := &harness{Server: s, tg: bot, llm: fake, polling: polling, env: env}
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(s.Logs.String(), "\n") {
				if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) {
					t.Log(l)
				}
			}
		}
	})
	return h
}

// send delivers an update the way the mode does: posted to the webhook with the secret,
// or queued for getUpdates.
func (h *harness) send(t testing.TB, u map[string]any) {
	t.Helper()
	if h.polling {
		h.tg.Push(u)
		return
	}
	if st := h.post(t, u, webhookSecret); st != http.StatusOK {
		t.Fatalf("webhook answered %d", st)
	}
}

// post sends a webhook request with the given secret ("" for none).
func (h *harness) post(t testing.TB, body any, secret string) int {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		raw = mustJSON(t, body)
	}
	req, _ := http.NewRequest("POST", h.URL+telegram.WebhookPath, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// link links chat to the user with a deep link from the API, and waits for the bot's
// confirmation.
func (h *harness) link(t testing.TB, tok string, chat tgtest.Chat) {
	t.Helper()
	res := h.Do("POST", "/api/v1/telegram/link", tok, nil)
	var l telegram.LinkURL
	res.JSON(t, &l)
	prefix := "https://t.me/" + h.tg.Username + "?start="
	if res.Status != http.StatusOK || !strings.HasPrefix(l.URL, prefix) {
		t.Fatalf("link: %d %s", res.Status, res.Body)
	}
	h.send(t, h.tg.TextUpdate(chat, "/start "+strings.TrimPrefix(l.URL, prefix)))
	h.waitSent(t, chat.ID, "Linked!")
}

// waitSent waits until a message containing text was sent in chat, and returns it.
func (h *harness) waitSent(t testing.TB, chatID int64, text string) tgtest.Message {
	t.Helper()
	var got tgtest.Message
	waitFor(t, "a message with "+text, func() bool {
		for _, m := range h.tg.Sent(chatID) {
			if strings.Contains(m.Text, text) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newUser(t testing.TB, h *harness) (string, string) {
	t.Helper()
	return authtest.NewUser(t, h.Server)
}

func status(t testing.TB, h *harness, tok string) telegram.Status {
	t.Helper()
	res := h.Do("GET", "/api/v1/telegram", tok, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("status: %d %s", res.Status, res.Body)
	}
	var st telegram.Status
	res.JSON(t, &st)
	return st
}

// fakeClock is a settable clock whose sleep advances it, recording each wait.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
	// tick advances the clock on every reading (time passes as the code runs).
	tick time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.tick)
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.waits = append(c.waits, d)
	return ctx.Err()
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}
