package chat_test

import (
	"net/http"
	"sync"
	"testing"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

func TestEveryRouteAsAnotherUser(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, owner := user(t, s)
		_, other := user(t, s)
		conv := newConversation(t, s, owner)
		send(t, s, owner, conv, "my private question")
		ms := messages(t, s, owner, conv)
		userMsg, reply := ms[0].ID, ms[1].ID
		requests := fake.TurnRequests(llmtest.Anthropic)

		routes := []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/conversations/" + conv, nil},
			{"PATCH", "/api/v1/conversations/" + conv, map[string]string{"title": "mine now"}},
			{"DELETE", "/api/v1/conversations/" + conv, nil},
			{"GET", "/api/v1/conversations/" + conv + "/messages", nil},
			{"POST", "/api/v1/conversations/" + conv + "/messages", map[string]string{"content": "hi"}},
			{"POST", "/api/v1/conversations/" + conv + "/regenerate", nil},
			{"GET", "/api/v1/conversations/" + conv + "/stream", nil},
			{"GET", "/api/v1/messages/" + reply, nil},
			{"POST", "/api/v1/messages/" + userMsg + "/edit", map[string]string{"content": "changed"}},
			{"POST", "/api/v1/messages/" + reply + "/stop", nil},
			{"PUT", "/api/v1/messages/" + reply + "/feedback", map[string]string{"rating": "down"}},
			{"DELETE", "/api/v1/messages/" + reply + "/feedback", nil},
		}
		for _, r := range routes {
			if res := s.Do(r.method, r.path, other, r.body); res.Status != http.StatusNotFound {
				t.Errorf("%s %s as another user: %d %s", r.method, r.path, res.Status, res.Body)
			}
		}
		// The other user's lists and searches do not show it either.
		var page chat.ConversationPage
		s.Do("GET", "/api/v1/conversations?q=private", other, nil).JSON(t, &page)
		if len(page.Conversations) != 0 {
			t.Error("another user's conversation is found by search")
		}
		// Nothing changed for the owner.
		after := messages(t, s, owner, conv)
		if len(after) != 2 || after[0].Content != "my private question" || after[1].Feedback != nil {
			t.Errorf("the owner's conversation changed: %+v", after)
		}
		if len(fake.TurnRequests(llmtest.Anthropic)) != len(requests) {
			t.Error("another user's request reached the model")
		}
		// Without a token: 401.
		if res := s.Do("GET", "/api/v1/conversations", "", nil); res.Status != http.StatusUnauthorized {
			t.Errorf("without a token: %d", res.Status)
		}
	})
}

func TestQuotaRace(t *testing.T) {
	plans := `[{"id":"free","name":"Free","limits":{"messages_per_day":1}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_PLANS", plans)
		_, token := user(t, s)
		convs := []string{newConversation(t, s, token), newConversation(t, s, token)}

		var wg sync.WaitGroup
		streams := make([]*stream, 2)
		refusals := make([]int, 2)
		codes := make([]string, 2)
		resets := make([]string, 2)
		for i := range convs {
			wg.Go(func() {
				st, res := open(t, s, "POST", "/api/v1/conversations/"+convs[i]+"/messages", token, map[string]string{"content": "hello"})
				if res != nil {
					refusals[i], codes[i] = res.Status, res.ErrorCode()
					var e struct {
						Error struct {
							Details struct {
								ResetAt string `json:"reset_at"`
							}
						}
					}
					res.JSON(t, &e)
					resets[i] = e.Error.Details.ResetAt
					return
				}
				st.rest()
				streams[i] = st
			})
		}
		wg.Wait()
		passed, refused := 0, 0
		for i := range convs {
			switch {
			case streams[i] != nil && streams[i].end() == chat.StatusComplete:
				passed++
			case refusals[i] == http.StatusTooManyRequests && codes[i] == "quota_exceeded" && resets[i] != "":
				refused++
			}
		}
		if passed != 1 || refused != 1 {
			t.Fatalf("two sends at the limit: %d passed, %d refused (statuses %v, codes %v)", passed, refused, refusals, codes)
		}
		// The refused turn stored nothing.
		total := len(messages(t, s, token, convs[0])) + len(messages(t, s, token, convs[1]))
		if total != 2 {
			t.Fatalf("%d messages stored, want 2", total)
		}
	})
}

func TestFallbackRecordedOnTheMessage(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_LLM_MAX_RETRIES", "0")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
		st := send(t, s, token, conv, "hello")
		if st.end() != chat.StatusComplete {
			t.Fatalf("status %s, events %v", st.end(), st.names())
		}
		ms := messages(t, s, token, conv)
		if r := ms[1]; r.Provider != "openai" || !r.Fallback || r.Model == "" {
			t.Fatalf("reply served by %s/%s fallback=%v", r.Provider, r.Model, r.Fallback)
		}
		var n int
		if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM usage_events WHERE message_id = $1 AND fallback`, ms[1].ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("fallback calls in the ledger: %d (%v)", n, err)
		}
	})
}

func TestFallbackRefusedWhenTheAllowanceIsSpent(t *testing.T) {
	plans := `[{"id":"free","name":"Free","limits":{"fallback_per_day":0}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_PLANS", plans, "ALLY_LLM_MAX_RETRIES", "0")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
		st := send(t, s, token, conv, "hello")
		var e struct{ Code string }
		for _, ev := range st.events {
			if ev.Name == "error" {
				ev.decode(t, &e)
			}
		}
		if st.end() != chat.StatusFailed || e.Code != "quota_exceeded" {
			t.Fatalf("status %s, error %q", st.end(), e.Code)
		}
		if n := len(fake.TurnRequests(llmtest.OpenAI)); n != 0 {
			t.Fatalf("the fallback was called %d times", n)
		}
		ms := messages(t, s, token, conv)
		if ms[1].Status != chat.StatusFailed || ms[1].Error == nil || ms[1].Error.Code != "quota_exceeded" {
			t.Fatalf("stored reply = %+v", ms[1])
		}
	})
}
