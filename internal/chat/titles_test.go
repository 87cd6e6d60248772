package chat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

func conversation(t *testing.T, s *apptest.Server, token, id string) chat.Conversation {
	t.Helper()
	var c chat.Conversation
	res := s.Do("GET", "/api/v1/conversations/"+id, token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("conversation: %d", res.Status)
	}
	res.JSON(t, &c)
	return c
}

// count runs a COUNT query on the instance's database.
func count(t *testing.T, s *apptest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTitleAfterFirstExchange: the small model titles a conversation once, after its first
// exchange, from that exchange; the call is background usage, outside the chat quota.
func TestTitleAfterFirstExchange(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		// The first title call fails: the job tries again.
		fake.ScriptTitles(llmtest.Anthropic, llmtest.Reply{Status: 400})
		s := start(t, tg, fake, "ALLY_LLM_ANTHROPIC_SMALL_MODEL", "claude-haiku-4-5")
		userID, token := user(t, s)
		conv := newConversation(t, s, token)
		first := "Comment préparer une tarte aux pommes sans four ?"
		send(t, s, token, conv, first)
		want := llmtest.TitleFor(first)
		// The raw start of the message shows until the title comes.
		if c := conversation(t, s, token, conv); c.Title != want && (c.Title != first || !c.TitlePending) {
			t.Fatalf("before the title: %+v", c)
		}
		eventually(t, "the model's title", func() bool {
			c := conversation(t, s, token, conv)
			return c.Title == want && !c.TitlePending
		})
		if want != "Comment préparer tarte pommes" {
			t.Fatalf("the fake's title is %q", want)
		}
		reqs := fake.TitleRequests(llmtest.Anthropic)
		if len(reqs) != 2 {
			t.Fatalf("%d title requests, want a failure and its retry", len(reqs))
		}
		body := string(reqs[1].Body)
		if !strings.Contains(body, `"model":"claude-haiku-4-5"`) || !strings.Contains(body, "tarte aux pommes") || !strings.Contains(body, "You said: Comment") {
			t.Fatalf("the title request: %s", body)
		}
		// Later turns do not title again: one job per conversation.
		send(t, s, token, conv, "Et avec des poires ?")
		if n := count(t, s, `SELECT COUNT(*) FROM river_job WHERE kind = 'chat_title'`); n != 1 {
			t.Fatalf("%d title jobs", n)
		}
		if c := conversation(t, s, token, conv); c.Title != want {
			t.Fatalf("the title changed: %q", c.Title)
		}
		// Background usage, labelled; the day's chat totals count the two turns alone.
		if n := count(t, s, `SELECT COUNT(*) FROM usage_events WHERE user_id = $1 AND purpose = 'conversation_title' AND model = 'claude-haiku-4-5'`, userID); n != 1 {
			t.Fatalf("%d title usage events", n)
		}
		if n := count(t, s, `SELECT COALESCE(SUM(messages), 0) FROM usage_daily WHERE user_id = $1`, userID); n != 2 {
			t.Fatalf("the chat quota counts %d messages", n)
		}
		var rep struct {
			Background []struct {
				Purpose string `json:"purpose"`
				Label   string `json:"label"`
			} `json:"background"`
		}
		s.Do("GET", "/api/v1/usage", token, nil).JSON(t, &rep)
		if len(rep.Background) != 1 || rep.Background[0].Label != "conversation titles" {
			t.Fatalf("usage report background: %+v", rep.Background)
		}
	})
}

// TestTitleNeverOverwritesRename: a rename that lands while the title job runs wins; a
// conversation titled by the user or by a feature is never titled by the model.
func TestTitleNeverOverwritesRename(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		asked, release := make(chan struct{}, 4), make(chan struct{})
		def := llmtest.DefaultResponder(llmtest.ScriptOptions{})
		fake := llmtest.New(llmtest.Options{Record: true, Responder: func(in *llmtest.Incoming) llmtest.Reply {
			if strings.HasPrefix(in.LastText, llmtest.TitleRequestStart) {
				asked <- struct{}{}
				<-release
			}
			return def(in)
		}})
		hs := httptest.NewServer(fake)
		t.Cleanup(hs.Close)
		fake.URL = hs.URL
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "plan a weekend in Lisbon")
		<-asked
		if res := s.Do("PATCH", "/api/v1/conversations/"+conv, token, map[string]string{"title": "Lisbon trip"}); res.Status != http.StatusOK {
			t.Fatalf("rename: %d", res.Status)
		}
		close(release)
		eventually(t, "the title job to end", func() bool {
			return count(t, s, `SELECT COUNT(*) FROM river_job WHERE kind = 'chat_title' AND state = 'completed'`) == 1
		})
		if c := conversation(t, s, token, conv); c.Title != "Lisbon trip" || c.TitlePending {
			t.Fatalf("the rename was overwritten: %+v", c)
		}
		// Named at creation: never titled.
		res := s.Do("POST", "/api/v1/conversations", token, map[string]string{"title": "My own name"})
		var named chat.Conversation
		res.JSON(t, &named)
		send(t, s, token, named.ID, "something else entirely")
		if n := count(t, s, `SELECT COUNT(*) FROM river_job WHERE kind = 'chat_title'`); n != 1 {
			t.Fatalf("%d title jobs", n)
		}
		if c := conversation(t, s, token, named.ID); c.Title != "My own name" || c.TitlePending {
			t.Fatalf("a named conversation: %+v", c)
		}
	})
}
