package telegram_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/privacy"
	"myally.app/ally/internal/telegram/tgtest"
)

// rowCounts counts the rows of every table of the schema.
func rowCounts(t *testing.T, h *harness) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tb := range privacy.Tables {
		var n int
		if err := h.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+tb.Name).Scan(&n); err == nil {
			out[tb.Name] = n
		}
	}
	return out
}

// TG-4: a chat that is not linked gets linking instructions and nothing else, whatever it
// sends (text, a wrong /start, a sticker, an edit, a group command), and nothing about it
// is stored in any table or written to the logs.
func TestUnlinkedChatLeavesNoTrace(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		newUser(t, h)
		before := rowCounts(t, h)
		stranger := tgtest.Private(917263541)
		group := tgtest.Group(7002)
		h.send(t, h.tg.TextUpdate(stranger, "my secret canary text"))
		h.send(t, h.tg.TextUpdate(stranger, "/start canary-token"))
		h.send(t, h.tg.Update("message", stranger, map[string]any{"sticker": map[string]any{"file_id": "canary-sticker", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1}}))
		h.send(t, h.tg.Update("edited_message", stranger, map[string]any{"text": "canary edit"}))
		h.send(t, h.tg.TextUpdate(group, "/start@ally_test_bot canary-group"))
		waitFor(t, "the answers", func() bool { return len(h.tg.Sent(stranger.ID)) == 3 && len(h.tg.Sent(group.ID)) == 1 })
		for _, m := range h.tg.Sent(stranger.ID) {
			if !strings.Contains(m.Text, "link") {
				t.Fatalf("an unlinked chat got %q", m.Text)
			}
		}
		if m := h.tg.Sent(group.ID)[0]; !strings.Contains(m.Text, "private chats") {
			t.Fatalf("group got %q", m.Text)
		}
		if after := rowCounts(t, h); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed:\nbefore %v\nafter  %v", before, after)
		}
		if strings.Contains(h.Logs.String(), "canary") || strings.Contains(h.Logs.String(), "917263541") {
			t.Fatal("the logs mention the unlinked chat")
		}
	})
}

// The webhook answers 401 to a missing or wrong secret and stores and logs nothing but
// the status; malformed JSON is a 400; unknown update kinds are acknowledged and ignored;
// a duplicate update_id is answered once.
func TestWebhookInput(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		_, tok := newUser(t, h)
		me := tgtest.Private(8001)
		h.link(t, tok, me)
		before := rowCounts(t, h)
		sent := len(h.tg.Calls())
		u := h.tg.TextUpdate(me, "canary wrong secret")
		for _, secret := range []string{"", "wrong", webhookSecret + "x", strings.ToUpper(webhookSecret)} {
			if st := h.post(t, u, secret); st != http.StatusUnauthorized {
				t.Fatalf("secret %q: %d", secret, st)
			}
		}
		if st := h.post(t, []byte(`{"update_id": 5, "message": {`), webhookSecret); st != http.StatusBadRequest {
			t.Fatalf("malformed: %d", st)
		}
		if st := h.post(t, []byte(`[1,2]`), webhookSecret); st != http.StatusBadRequest {
			t.Fatalf("not an object: %d", st)
		}
		if st := h.post(t, map[string]any{"update_id": 99, "message_reaction": map[string]any{"chat": me}}, webhookSecret); st != http.StatusOK {
			t.Fatalf("unknown kind: %d", st)
		}
		if after := rowCounts(t, h); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed:\nbefore %v\nafter  %v", before, after)
		}
		if len(h.tg.Calls()) != sent {
			t.Fatal("the bot answered a rejected update")
		}
		logs := h.Logs.String()
		if strings.Contains(logs, "canary") || strings.Contains(logs, webhookSecret) {
			t.Fatal("the logs hold an update's text or the secret")
		}

		// Sticker, photo, edit: a polite answer each; a duplicate delivery: nothing more.
		sticker := h.tg.Update("message", me, map[string]any{"sticker": map[string]any{"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1}})
		h.send(t, sticker)
		h.send(t, sticker)
		h.send(t, h.tg.Update("message", me, map[string]any{"photo": []map[string]any{{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}}}))
		h.send(t, h.tg.Update("edited_message", me, map[string]any{"text": "changed"}))
		h.send(t, h.tg.TextUpdate(me, "/help"))
		h.waitSent(t, me.ID, "shows this message")
		got := h.tg.Sent(me.ID)[1:]
		if len(got) != 4 || !strings.Contains(got[0].Text, "text only") || !strings.Contains(got[1].Text, "text only") || !strings.Contains(got[2].Text, "new messages only") {
			t.Fatalf("answers: %+v", got)
		}
	})
}
