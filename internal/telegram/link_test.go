package telegram_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/telegram/tgtest"
)

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A user links a chat with a deep link, talks to the assistant there with the reply
// streamed (typing, drafts, then the final message), sees the conversation on the web
// marked as Telegram's, starts a new one with /new and unlinks with /stop; in webhook and
// polling mode, on each database.
func TestLinkChatAndUnlink(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		modes(t, func(t *testing.T, polling bool) {
			h := start(t, tg, polling)
			if polling {
				if calls := h.tg.Calls(); len(calls) == 0 || calls[0].Method != "getMe" {
					t.Fatalf("first call: %+v", calls)
				}
			} else if hook, secret := h.tg.Webhook(); hook != publicURL+"/webhooks/telegram" || secret != webhookSecret {
				t.Fatalf("webhook set to %q with secret %q", hook, secret)
			}
			_, tok := newUser(t, h)
			if st := status(t, h, tok); !st.Enabled || st.Linked || st.Bot != h.tg.Username {
				t.Fatalf("status before linking: %+v", st)
			}
			me := tgtest.Private(5001)
			h.link(t, tok, me)
			st := status(t, h, tok)
			if !st.Linked || st.Username != me.Username || st.LinkedAt == nil || st.Status != "linked" {
				t.Fatalf("status after linking: %+v", st)
			}

			h.send(t, h.tg.TextUpdate(me, "Hello from Telegram"))
			final := h.waitSent(t, me.ID, "You said: Hello from Telegram")
			if calls := h.tg.CallsTo(me.ID, "sendChatAction"); len(calls) == 0 || calls[0].Params["action"] != "typing" {
				t.Fatalf("no typing action: %+v", calls)
			}
			drafts := h.tg.CallsTo(me.ID, "sendMessageDraft")
			if len(drafts) == 0 || !strings.HasPrefix(final.Text, drafts[0].Params["text"]) || drafts[0].Params["draft_id"] == "" {
				t.Fatalf("the reply was not shown progressively: %d drafts", len(drafts))
			}
			if last := h.tg.CallsTo(me.ID, "sendMessage"); last[len(last)-1].Params["parse_mode"] != "HTML" {
				t.Fatalf("final message not in HTML mode: %+v", last[len(last)-1].Params)
			}

			// The conversation is on the web, marked as Telegram's, with both messages.
			res := h.Do("GET", "/api/v1/conversations", tok, nil)
			var list struct{ Conversations []chat.Conversation }
			res.JSON(t, &list)
			if len(list.Conversations) != 1 || list.Conversations[0].Channel != chat.ChannelTelegram {
				t.Fatalf("conversations: %s", res.Body)
			}
			conv := list.Conversations[0].ID
			waitFor(t, "the reply stored", func() bool {
				var n int
				_ = h.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND status = 'complete'`, conv).Scan(&n)
				return n == 2
			})

			h.send(t, h.tg.TextUpdate(me, "/new"))
			h.waitSent(t, me.ID, "Started a new conversation")
			h.send(t, h.tg.TextUpdate(me, "Second topic"))
			h.waitSent(t, me.ID, "You said: Second topic")
			res = h.Do("GET", "/api/v1/conversations", tok, nil)
			res.JSON(t, &list)
			if len(list.Conversations) != 2 {
				t.Fatalf("after /new: %s", res.Body)
			}

			h.send(t, h.tg.TextUpdate(me, "/help"))
			h.waitSent(t, me.ID, "shows this message")
			h.send(t, h.tg.TextUpdate(me, "/stop"))
			h.waitSent(t, me.ID, "Unlinked.")
			if st := status(t, h, tok); st.Linked {
				t.Fatalf("still linked after /stop: %+v", st)
			}
			before := len(h.tg.Sent(me.ID))
			h.send(t, h.tg.TextUpdate(me, "Are you there?"))
			h.waitSent(t, me.ID, "link this chat")
			if n := len(h.tg.Sent(me.ID)); n != before+1 {
				t.Fatalf("an unlinked chat got %d messages", n-before)
			}
		})
	})
}

// A deep link works once, for ten minutes at most; another account's chat cannot take it.
func TestLinkTokenIsSingleUse(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		h := start(t, tg, false)
		_, tok := newUser(t, h)
		res := h.Do("POST", "/api/v1/telegram/link", tok, nil)
		var l struct{ URL string }
		res.JSON(t, &l)
		token := l.URL[strings.Index(l.URL, "start=")+6:]
		var hash string
		if err := h.DB.R.QueryRowContext(context.Background(), `SELECT token_hash FROM telegram_link_tokens`).Scan(&hash); err != nil || strings.Contains(hash, token) {
			t.Fatalf("token stored in clear or missing: %v", err)
		}
		a, b := tgtest.Private(6001), tgtest.Private(6002)
		h.send(t, h.tg.TextUpdate(a, "/start "+token))
		h.waitSent(t, a.ID, "Linked!")
		h.send(t, h.tg.TextUpdate(b, "/start "+token))
		h.waitSent(t, b.ID, "expired or was already used")
		h.send(t, h.tg.TextUpdate(b, "/start not-a-real-token"))
		waitFor(t, "two refusals", func() bool { return len(h.tg.Sent(b.ID)) == 2 })

		// Re-linking from another chat moves the link.
		res = h.Do("POST", "/api/v1/telegram/link", tok, nil)
		res.JSON(t, &l)
		h.send(t, h.tg.TextUpdate(b, "/start "+l.URL[strings.Index(l.URL, "start=")+6:]))
		h.waitSent(t, b.ID, "Linked!")
		var n int
		_ = h.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM telegram_links`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d links", n)
		}

		// DELETE unlinks and the chat is told by a job.
		if res := h.Do("DELETE", "/api/v1/telegram", tok, nil); res.Status != http.StatusNoContent {
			t.Fatalf("unlink: %d %s", res.Status, res.Body)
		}
		h.waitSent(t, b.ID, "was unlinked from your Ally account")
		if st := status(t, h, tok); st.Linked {
			t.Fatalf("linked after DELETE: %+v", st)
		}
	})
}
