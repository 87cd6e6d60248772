package telegram_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/tasks"
	"myally.app/ally/internal/telegram/tgtest"
)

func runTask(t *testing.T, h *harness, tok, id string) tasks.Run {
	t.Helper()
	if res := h.Do("POST", "/api/v1/tasks/"+id+"/run", tok, nil); res.Status != http.StatusAccepted {
		t.Fatalf("run now: %d %s", res.Status, res.Body)
	}
	var run tasks.Run
	waitFor(t, "the run's delivery", func() bool {
		var out struct{ Runs []tasks.Run }
		h.Do("GET", "/api/v1/tasks/"+id+"/runs", tok, nil).JSON(t, &out)
		if len(out.Runs) == 0 || len(out.Runs[0].Deliveries) == 0 {
			return false
		}
		run = out.Runs[0]
		d := run.Deliveries[0]
		return d.Status != tasks.DeliveryPending || d.Error != nil
	})
	return run
}

// TG-5: a task delivered to Telegram arrives in the linked chat, the delivery recording
// the Telegram message id; a chat that blocked the bot marks the link broken, which the
// web shows. A task cannot choose Telegram on a server without it.
func TestTaskDeliveredToTelegram(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		_, tok := newUser(t, h)
		me := tgtest.Private(9001)
		h.link(t, tok, me)
		res := h.Do("POST", "/api/v1/tasks", tok, map[string]any{"title": "Morning brief", "instruction": "Summarise my day",
			"schedule": map[string]any{"kind": "daily", "time": "08:00"}, "timezone": "UTC", "channels": []string{"telegram"}})
		var tk tasks.Task
		res.JSON(t, &tk)
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		run := runTask(t, h, tok, tk.ID)
		d := run.Deliveries[0]
		m := h.waitSent(t, me.ID, "Summarise my day")
		if d.Channel != "telegram" || d.Status != tasks.DeliverySent || d.ProviderID == nil || *d.ProviderID != strconv.FormatInt(m.ID, 10) {
			t.Fatalf("delivery %+v, message %+v", d, m)
		}
		if !strings.HasPrefix(m.Text, "<b>Morning brief</b>") {
			t.Fatalf("message: %q", m.Text)
		}

		h.tg.Block(me.ID)
		run = runTask(t, h, tok, tk.ID)
		waitFor(t, "the link marked broken", func() bool { return status(t, h, tok).Status == "broken" })
		if st := status(t, h, tok); !st.Linked {
			t.Fatalf("a broken link is still a link: %+v", st)
		}
	})
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false, "ALLY_TELEGRAM_BOT_TOKEN", "")
		_, tok := newUser(t, h)
		if st := status(t, h, tok); st.Enabled || st.Linked {
			t.Fatalf("status without a bot: %+v", st)
		}
		if res := h.Do("POST", "/api/v1/telegram/link", tok, nil); res.Status != http.StatusServiceUnavailable {
			t.Fatalf("link without a bot: %d %s", res.Status, res.Body)
		}
		res := h.Do("POST", "/api/v1/tasks", tok, map[string]any{"title": "x", "instruction": "y",
			"schedule": map[string]any{"kind": "daily", "time": "08:00"}, "timezone": "UTC", "channels": []string{"telegram"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "Telegram") {
			t.Fatalf("telegram channel without a bot: %d %s", res.Status, res.Body)
		}
	})
}

// Deleting the account unlinks the chat in the deletion's transaction and tells it.
func TestDeletionUnlinksAndTellsTheChat(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		_, tok := newUser(t, h)
		me := tgtest.Private(9101)
		h.link(t, tok, me)
		if res := h.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status >= 300 {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		h.waitSent(t, me.ID, "was unlinked from your Ally account")
		// The row waits, unlinked, for the purge (which deletes and scrubs it).
		var st string
		if err := h.DB.R.QueryRow(`SELECT status FROM telegram_links`).Scan(&st); err != nil || st != "unlinked" {
			t.Fatalf("link after deletion: %q %v", st, err)
		}
		h.send(t, h.tg.TextUpdate(me, "hello?"))
		h.waitSent(t, me.ID, "link this chat")
	})
}

// Plan limits apply in Telegram as on the web, and the refusal is said in plain words.
func TestQuotaAnsweredInTheChat(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false, "ALLY_PLANS", `[{"id":"free","name":"Free","limits":{"messages_per_day":0}}]`)
		_, tok := newUser(t, h)
		me := tgtest.Private(9201)
		h.link(t, tok, me)
		h.send(t, h.tg.TextUpdate(me, "Anything?"))
		m := h.waitSent(t, me.ID, "You have used today's")
		if strings.Contains(m.Text, "quota_exceeded") || len(h.llm.Requests("anthropic")) != 0 {
			t.Fatalf("answer %q, model calls %d", m.Text, len(h.llm.Requests("anthropic")))
		}
	})
}
