package chat_test

import (
	"net/http"
	"sync"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

// usedToday returns the messages and limited tokens the usage report shows for today.
func usedToday(t testing.TB, s *apptest.Server, token string) (messages, tokens int64) {
	t.Helper()
	var rep struct {
		Today struct {
			Messages struct{ Used int64 } `json:"messages"`
			Tokens   struct{ Used int64 } `json:"tokens"`
		} `json:"today"`
	}
	res := s.Do("GET", "/api/v1/usage", token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("usage: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &rep)
	return rep.Today.Messages.Used, rep.Today.Tokens.Used
}

// TestParallelSendsToOneConversation: of ten sends at once to one conversation, one
// starts a reply and nine are refused as busy, and the refused ones cost nothing: one
// message is counted and the other four of the day's five remain.
func TestParallelSendsToOneConversation(t *testing.T) {
	plans := `[{"id":"free","name":"Free","limits":{"messages_per_day":5}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, slowReply(200))
		s := start(t, tg, fake, "ALLY_PLANS", plans)
		_, token := user(t, s)
		conv := newConversation(t, s, token)

		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		var started *stream
		for range 10 {
			wg.Go(func() {
				st, res := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "hello"})
				mu.Lock()
				defer mu.Unlock()
				if res != nil {
					statuses[res.Status]++
					if res.Status == http.StatusConflict && res.ErrorCode() != "conflict" {
						t.Errorf("a busy refusal answered %s", res.ErrorCode())
					}
					return
				}
				statuses[http.StatusOK]++
				started = st
			})
		}
		wg.Wait()
		if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != 9 {
			t.Fatalf("ten parallel sends answered %v, want one stream and nine 409", statuses)
		}
		started.rest()
		if m, _ := usedToday(t, s, token); m != 1 {
			t.Fatalf("%d messages counted, want 1", m)
		}
		for i := range 4 {
			if st := send(t, s, token, conv, "more"); st.end() != chat.StatusComplete {
				t.Fatalf("send %d after the race: %s", i+2, st.end())
			}
		}
		if res := s.Do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "one too many"}); res.Status != http.StatusTooManyRequests {
			t.Fatalf("the sixth message: %d %s", res.Status, res.Body)
		}
	})
}

// TestConcurrentTurnsAtTheTokenLimit: turns started at once in several conversations
// just under the token limit cannot all pass; at most one reply overshoots the limit.
func TestConcurrentTurnsAtTheTokenLimit(t *testing.T) {
	plans := `[{"id":"free","name":"Free","limits":{"tokens_per_day":1000}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "first", Usage: llm.Usage{InputTokens: 900, OutputTokens: 50}})
		s := start(t, tg, fake, "ALLY_PLANS", plans)
		_, token := user(t, s)
		if st := send(t, s, token, newConversation(t, s, token), "first"); st.end() != chat.StatusComplete {
			t.Fatalf("first turn: %s", st.end())
		}
		const k = 4
		reply := slowReply(50)
		reply.Usage = llm.Usage{InputTokens: 100, OutputTokens: 100}
		for range k {
			fake.Script(llmtest.Anthropic, reply)
		}
		convs := make([]string, k)
		for i := range convs {
			convs[i] = newConversation(t, s, token)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed, refused := 0, 0
		for i := range k {
			wg.Go(func() {
				st, res := open(t, s, "POST", "/api/v1/conversations/"+convs[i]+"/messages", token, map[string]string{"content": "hello"})
				if res != nil {
					mu.Lock()
					defer mu.Unlock()
					if res.Status == http.StatusTooManyRequests && res.ErrorCode() == "quota_exceeded" {
						refused++
					}
					return
				}
				st.rest()
				mu.Lock()
				defer mu.Unlock()
				if st.end() == chat.StatusComplete {
					passed++
				}
			})
		}
		wg.Wait()
		if passed != 1 || refused != k-1 {
			t.Fatalf("%d turns at once at the limit: %d passed, %d refused; want 1 and %d", k, passed, refused, k-1)
		}
		if _, used := usedToday(t, s, token); used > 1000+200 {
			t.Fatalf("%d tokens used of 1000: overshot by more than one reply", used)
		}
	})
}

// TestFailedReplyGivesItsMessageBack: a reply that fails before producing any text (the
// provider is down) does not cost the user a message.
func TestFailedReplyGivesItsMessageBack(t *testing.T) {
	plans := `[{"id":"free","name":"Free","limits":{"messages_per_day":1}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Status: 500})
		s := start(t, tg, fake, "ALLY_PLANS", plans, "ALLY_LLM_MAX_RETRIES", "0", "OPENAI_API_KEY", "", "GEMINI_API_KEY", "")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		if st := send(t, s, token, conv, "hello"); st.end() != chat.StatusFailed {
			t.Fatalf("the reply: %s", st.end())
		}
		if m, _ := usedToday(t, s, token); m != 0 {
			t.Fatalf("a reply that failed before any text counted %d message(s)", m)
		}
		if st := send(t, s, token, conv, "again"); st.end() != chat.StatusComplete {
			t.Fatalf("the day's one message after the failure: %s", st.end())
		}
	})
}

// TestStoppedReplyRecordsWhatItStreamed: a reply stopped mid-stream has no final usage
// from its provider (only the one output token of its start); the ledger records the
// output of the text it streamed instead, once, and nothing stays reserved.
func TestStoppedReplyRecordsWhatItStreamed(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		fake.Script(llmtest.Anthropic, slowReply(3000))
		s := start(t, tg, fake)
		uid, token := user(t, s)
		conv := newConversation(t, s, token)
		st, res := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "a long story"})
		if res != nil {
			t.Fatalf("send: %d %s", res.Status, res.Body)
		}
		id := startID(t, st)
		for range 40 {
			st.until("delta")
		}
		if res := s.Do("POST", "/api/v1/messages/"+id+"/stop", token, nil); res.Status != http.StatusOK {
			t.Fatalf("stop: %d %s", res.Status, res.Body)
		}
		st.rest()
		m := message(t, s, token, id)
		if st.end() != chat.StatusStopped || len(m.Content) < 40*4 {
			t.Fatalf("the reply ended %s with %d bytes", st.end(), len(m.Content))
		}
		want := int64((len(m.Content) + 3) / 4)
		var calls, in, out int64
		if err := s.DB.R.QueryRow(`SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0) FROM usage_events
			WHERE message_id = $1`, id).Scan(&calls, &in, &out); err != nil {
			t.Fatal(err)
		}
		if calls != 1 || out != want || in == 0 {
			t.Fatalf("ledger: %d call(s), %d in, %d out; want 1 call with %d out for %d bytes streamed", calls, in, out, want, len(m.Content))
		}
		if m.Usage.OutputTokens != want {
			t.Errorf("the stopped reply shows %d output tokens, want %d", m.Usage.OutputTokens, want)
		}
		var dayOut, reserved int64
		if err := s.DB.R.QueryRow(`SELECT output_tokens, reserved_tokens FROM usage_daily WHERE user_id = $1`, uid).Scan(&dayOut, &reserved); err != nil {
			t.Fatal(err)
		}
		if dayOut != want || reserved != 0 {
			t.Fatalf("daily totals: %d output, %d reserved; want %d and 0", dayOut, reserved, want)
		}
	})
}

// TestDeletedConversationLeavesTheLedger: deleting a conversation removes its usage
// totals and its name from the ledger; the day's totals stay as they were.
func TestDeletedConversationLeavesTheLedger(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		uid, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "hello")
		count := func(query string) (n int64) {
			t.Helper()
			if err := s.DB.R.QueryRow(query, uid, conv).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		const (
			totals = `SELECT COUNT(*) FROM usage_conversations WHERE user_id = $1 AND conversation_id = $2`
			calls  = `SELECT COUNT(*) FROM usage_events WHERE user_id = $1 AND conversation_id = $2`
		)
		if count(totals) != 1 || count(calls) != 1 {
			t.Fatalf("before the deletion: %d totals, %d calls", count(totals), count(calls))
		}
		_, before := usedToday(t, s, token)
		if res := s.Do("DELETE", "/api/v1/conversations/"+conv, token, nil); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if count(totals) != 0 || count(calls) != 0 {
			t.Fatalf("after the deletion the ledger still names it: %d totals, %d calls", count(totals), count(calls))
		}
		if _, after := usedToday(t, s, token); after != before || before == 0 {
			t.Fatalf("the day's tokens went from %d to %d", before, after)
		}
	})
}
