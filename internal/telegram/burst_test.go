package telegram_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/telegram/tgtest"
)

// linkDirect links n chats to new users straight in the database (setup for load).
func linkDirect(t testing.TB, h *harness, n int, base int64) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, n)
	for i := range ids {
		uid, _ := newUser(t, h)
		conv, err := h.Chat.CreateChannelConversation(ctx, uid, "Telegram", chat.ChannelTelegram)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = base + int64(i)
		if _, err := h.DB.Exec(ctx, `INSERT INTO telegram_links (user_id, chat_id, username, conversation_id, status, linked_at)
			VALUES ($1, $2, '', $3, 'linked', $4)`, uid, ids[i], conv.ID, db.Millis(time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// 10,000 updates in one burst (100 chats × 100, chats in parallel): every one is
// answered, in order within its chat. The pacing runs on a fake clock, so Telegram's 30
// messages a second do not make the test take minutes.
func TestBurstKeepsOrderPerChat(t *testing.T) {
	const chats, each = burstChats, 100
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		fc := &fakeClock{t: time.Now()}
		h.Telegram.SetClock(fc.Now, fc.Sleep)
		ids := linkDirect(t, h, chats, 300_000)
		kinds := []struct{ kind, answer string }{
			{"sticker", "text only"}, {"edited", "new messages only"}, {"help", "shows this message"},
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func(id int64) {
				defer wg.Done()
				c := tgtest.Private(id)
				for i := 0; i < each; i++ {
					var u map[string]any
					switch kinds[i%3].kind {
					case "sticker":
						u = h.tg.Update("message", c, map[string]any{"sticker": map[string]any{"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1}})
					case "edited":
						u = h.tg.Update("edited_message", c, map[string]any{"text": "x"})
					default:
						u = h.tg.TextUpdate(c, "/help")
					}
					h.send(t, u)
				}
			}(id)
		}
		wg.Wait()
		deadline := time.Now().Add(3 * time.Minute)
		for _, id := range ids {
			for len(h.tg.Sent(id)) < each {
				if time.Now().After(deadline) {
					t.Fatalf("chat %d got %d of %d answers", id, len(h.tg.Sent(id)), each)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for i, m := range h.tg.Sent(id) {
				if !strings.Contains(m.Text, kinds[i%3].answer) {
					t.Fatalf("chat %d answer %d out of order: %q", id, i, m.Text)
				}
			}
		}
		var n int
		_ = h.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM telegram_updates WHERE handled_at IS NOT NULL`).Scan(&n)
		if n != chats*each {
			t.Fatalf("%d updates handled, want %d", n, chats*each)
		}
	})
}

// Where drafts are refused the reply is a message edited as it grows; a 429 on the final
// message is retried after its retry_after, and the text still arrives whole.
func TestStreamingFallbacksAndRetryAfter(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		fc := &fakeClock{t: time.Now(), tick: 200 * time.Millisecond}
		h.Telegram.SetClock(fc.Now, fc.Sleep)
		ids := linkDirect(t, h, 2, 400_000)
		a, b := ids[0], ids[1]

		h.tg.Fail("sendMessageDraft", 1, tgtest.Failure{Code: 400, Description: "Bad Request: TEXTDRAFT_PEER_INVALID"})
		h.send(t, h.tg.TextUpdate(tgtest.Private(a), "Drafts are refused here"))
		h.waitSent(t, a, "You said: Drafts are refused here")
		waitFor(t, "the final edit of the message shown while streaming", func() bool {
			sent := h.tg.Sent(a)
			return len(sent) == 1 && sent[0].Edits >= 1 && strings.Contains(sent[0].Text, "Drafts are refused")
		})
		if calls := h.tg.CallsTo(a, "sendMessageDraft"); len(calls) != 1 {
			t.Fatalf("drafts tried again after a refusal: %d", len(calls))
		}

		h.tg.Fail("sendMessage", 1, tgtest.TooManyRequests(3))
		h.send(t, h.tg.TextUpdate(tgtest.Private(b), "Flood control"))
		h.waitSent(t, b, "You said: Flood control")
		sends := h.tg.CallsTo(b, "sendMessage")
		if len(sends) != 2 || sends[0].Status != 429 || sends[1].Status != 0 {
			t.Fatalf("sends: %+v", sends)
		}
		waited := false
		for _, w := range fc.Waits() {
			// The clock ticks as the code runs: the wait is what is left of the 3 s.
			waited = waited || w >= 2*time.Second
		}
		if !waited {
			t.Fatalf("retry_after not honoured: waits %v", fc.Waits())
		}
	})
}
