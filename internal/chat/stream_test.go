package chat_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

func TestDisconnectAndReattach(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		full := slowReply(200)
		fake.Script(llmtest.Anthropic, full)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)

		st, res := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "tell me a long story"})
		if res != nil {
			t.Fatalf("send: %d %s", res.Status, res.Body)
		}
		id := startID(t, st)
		st.until("delta")
		st.close() // the browser tab closes

		// Re-attach: the text so far is replayed, then the rest follows to the end.
		again, res := open(t, s, "GET", "/api/v1/conversations/"+conv+"/stream", token, nil)
		if res != nil {
			t.Fatalf("re-attach: %d %s", res.Status, res.Body)
		}
		if got := startID(t, again); got != id {
			t.Fatalf("re-attached to %s, want %s", got, id)
		}
		again.rest()
		if again.end() != chat.StatusComplete || again.text() != full.Text {
			t.Fatalf("re-attached stream: %s, %d of %d bytes", again.end(), len(again.text()), len(full.Text))
		}
		if m := message(t, s, token, id); m.Status != chat.StatusComplete || m.Content != full.Text {
			t.Fatalf("stored reply: %s, %d bytes", m.Status, len(m.Content))
		}
	})
}

func TestGenerationFinishesWithoutAClient(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		full := slowReply(100)
		fake.Script(llmtest.Anthropic, full)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		st, _ := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "go"})
		id := startID(t, st)
		st.close()
		eventually(t, "the reply to complete", func() bool {
			m := message(t, s, token, id)
			return m.Status == chat.StatusComplete && m.Content == full.Text
		})
	})
}

func TestReattachFromAnotherInstance(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		full := slowReply(200)
		fake.Script(llmtest.Anthropic, full)
		a := start(t, tg, fake)
		b := start(t, tg, fake) // a second instance on the same database
		_, token := user(t, a)
		conv := newConversation(t, a, token)

		st, res := open(t, a, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "tell me a long story"})
		if res != nil {
			t.Fatalf("send: %d %s", res.Status, res.Body)
		}
		id := startID(t, st)
		st.until("delta")
		st.close()

		other, res := open(t, b, "GET", "/api/v1/conversations/"+conv+"/stream", token, nil)
		if res != nil {
			t.Fatalf("re-attach on the other instance: %d %s", res.Status, res.Body)
		}
		if got := startID(t, other); got != id {
			t.Fatalf("followed %s, want %s", got, id)
		}
		other.rest()
		if other.end() != chat.StatusComplete || other.text() != full.Text {
			t.Fatalf("followed from the other instance: %s, %q", other.end(), other.text())
		}
	})
}

func TestStop(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		full := slowReply(2000)
		fake.Script(llmtest.Anthropic, full)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		st, _ := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "go"})
		id := startID(t, st)
		st.until("delta")

		res := s.Do("POST", "/api/v1/messages/"+id+"/stop", token, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("stop: %d %s", res.Status, res.Body)
		}
		var m chat.Message
		res.JSON(t, &m)
		if m.Status != chat.StatusStopped || m.Content == "" || len(m.Content) >= len(full.Text) || !strings.HasPrefix(full.Text, m.Content) {
			t.Fatalf("stopped reply: %s, %d of %d bytes", m.Status, len(m.Content), len(full.Text))
		}
		st.rest()
		if st.end() != chat.StatusStopped {
			t.Fatalf("stream ended with %s", st.end())
		}
		// The conversation is free again; stopping twice changes nothing.
		if again := s.Do("POST", "/api/v1/messages/"+id+"/stop", token, nil); again.Status != http.StatusOK {
			t.Fatalf("second stop: %d", again.Status)
		}
		if next := send(t, s, token, conv, "next"); next.end() != chat.StatusComplete {
			t.Fatalf("next turn: %s", next.end())
		}
	})
}

func TestStopFromAnotherInstance(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, slowReply(5000))
		a := start(t, tg, fake)
		b := start(t, tg, fake)
		_, token := user(t, a)
		conv := newConversation(t, a, token)
		st, _ := open(t, a, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "go"})
		id := startID(t, st)
		st.until("delta")
		if res := b.Do("POST", "/api/v1/messages/"+id+"/stop", token, nil); res.Status != http.StatusAccepted {
			t.Fatalf("stop on the other instance: %d %s", res.Status, res.Body)
		}
		st.rest()
		if st.end() != chat.StatusStopped {
			t.Fatalf("stream ended with %s", st.end())
		}
	})
}

func TestOneReplyAtATime(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, slowReply(300))
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		st, _ := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "first"})
		startID(t, st)
		res := s.Do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "second"})
		if res.Status != http.StatusConflict {
			t.Fatalf("second send while replying: %d %s", res.Status, res.Body)
		}
		st.rest()
		if ms := messages(t, s, token, conv); len(ms) != 2 {
			t.Fatalf("%d messages stored, want 2", len(ms))
		}
	})
}

func TestKeepAliveOnIdleStreams(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		// The model thinks for a while before its first word.
		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "Finally.", FirstTokenDelay: 300 * time.Millisecond})
		s := start(t, tg, fake, "ALLY_CHAT_KEEPALIVE", "20ms")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		st := send(t, s, token, conv, "think hard")
		if st.comments == 0 || st.end() != chat.StatusComplete {
			t.Fatalf("%d keep-alive comments, status %s", st.comments, st.end())
		}
	})
}

// TestFollowThroughNotifications: on PostgreSQL, a stream on another instance follows the
// reply as the generating instance announces each save, without waiting for polls.
func TestFollowThroughNotifications(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		if tg.Dialect != db.Postgres {
			t.Skip("notifications are PostgreSQL's; SQLite runs one instance")
		}
		fake := llmtest.Start(t)
		full := slowReply(200)
		fake.Script(llmtest.Anthropic, full)
		a := start(t, tg, fake)
		b := start(t, tg, fake, "ALLY_CHAT_FOLLOW_INTERVAL", "1h") // never polls again
		_, token := user(t, a)
		conv := newConversation(t, a, token)
		st, _ := open(t, a, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "go"})
		startID(t, st)
		st.until("delta")
		other, res := open(t, b, "GET", "/api/v1/conversations/"+conv+"/stream", token, nil)
		if res != nil {
			t.Fatalf("re-attach: %d %s", res.Status, res.Body)
		}
		other.rest()
		if other.end() != chat.StatusComplete || other.text() != full.Text {
			t.Fatalf("followed through notifications: %s, %d of %d bytes", other.end(), len(other.text()), len(full.Text))
		}
	})
}

// TestRefusedSendsAreNotCounted: of several sends racing for one conversation, one starts
// a reply and the others are refused with 409 — and only the one that started counts
// against the day's message allowance.
func TestRefusedSendsAreNotCounted(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, slowReply(50))
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		const senders = 6
		statuses := make(chan int, senders)
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				res := s.Do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "race"})
				statuses <- res.Status
			})
		}
		wg.Wait()
		close(statuses)
		started, refused := 0, 0
		for st := range statuses {
			switch st {
			case http.StatusOK:
				started++
			case http.StatusConflict:
				refused++
			default:
				t.Errorf("send answered %d", st)
			}
		}
		if started != 1 || refused != senders-1 {
			t.Fatalf("%d started, %d refused; want 1 and %d", started, refused, senders-1)
		}
		var report struct {
			Today struct {
				Messages struct {
					Used int64 `json:"used"`
				} `json:"messages"`
			} `json:"today"`
		}
		s.Do("GET", "/api/v1/usage", token, nil).JSON(t, &report)
		if report.Today.Messages.Used != 1 {
			t.Fatalf("today's messages used: %d, want 1 (refused sends must not count)", report.Today.Messages.Used)
		}
	})
}
