package chat_test

import (
	"encoding/json"
	"strings"
	"testing"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

func TestCurrentTimeInTheUsersTimezone(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		userID, token := user(t, s)
		if _, err := s.DB.W.Exec(`UPDATE users SET timezone = 'Asia/Tokyo' WHERE id = $1`, userID); err != nil {
			t.Fatal(err)
		}
		conv := newConversation(t, s, token)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "Let me check.", ToolCalls: []llmtest.ToolCall{{Name: "current_time", Input: "{}"}}})
		st := send(t, s, token, conv, "What time is it?")
		var res struct {
			Result       string
			IsError      bool `json:"is_error"`
			WritesMemory bool `json:"writes_memory"`
		}
		for _, e := range st.events {
			if e.Name == "tool_result" {
				e.decode(t, &res)
			}
		}
		if res.IsError || res.WritesMemory || !strings.Contains(res.Result, "Asia/Tokyo") || !strings.Contains(res.Result, "+09:00") {
			t.Fatalf("current_time result = %+v", res)
		}
		// The model got the result back, answering the call.
		reqs := fake.TurnRequests(llmtest.Anthropic)
		if !strings.Contains(string(reqs[len(reqs)-1].Body), "Asia/Tokyo") {
			t.Fatal("the tool result did not reach the model")
		}
	})
}

func TestStepLimit(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_CHAT_MAX_STEPS", "2")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		again := llmtest.Reply{Text: "Checking.", ToolCalls: []llmtest.ToolCall{{Name: "current_time", Input: "{}"}}}
		fake.Script(llmtest.Anthropic, again, again, again)
		st := send(t, s, token, conv, "loop forever")
		var e struct{ Code string }
		for _, ev := range st.events {
			if ev.Name == "error" {
				ev.decode(t, &e)
			}
		}
		if st.end() != chat.StatusFailed || e.Code != "step_limit" {
			t.Fatalf("status %s, error %q", st.end(), e.Code)
		}
		if n := len(fake.TurnRequests(llmtest.Anthropic)); n != 2 {
			t.Fatalf("%d model calls, want 2", n)
		}
		ms := messages(t, s, token, conv)
		if r := ms[1]; len(r.Steps) != 2 || r.Content == "" {
			t.Fatalf("stored reply: %d steps, %q", len(r.Steps), r.Content)
		}
	})
}

// TestPromptCacheBreakpoints: the stable prefix (operator prompt, preferences) and the
// whole history are marked for Anthropic's cache, and a later turn sends the earlier turn
// unchanged, so it is read from the cache. The volatile context (today's date, the memory
// index) follows the breakpoint in the latest message only, so a memory write does not
// change the cached history.
func TestPromptCacheBreakpoints(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "first")
		send(t, s, token, conv, "Please remember that I like green tea.")
		send(t, s, token, conv, "third")
		type block struct {
			Type         string          `json:"type"`
			Text         string          `json:"text"`
			CacheControl json.RawMessage `json:"cache_control"`
		}
		type request struct {
			System   []block `json:"system"`
			Messages []struct {
				Role    string  `json:"role"`
				Content []block `json:"content"`
			} `json:"messages"`
		}
		reqs := fake.TurnRequests(llmtest.Anthropic)
		if len(reqs) != 4 {
			t.Fatalf("%d model calls, want 4 (the memory write takes two)", len(reqs))
		}
		var one, last request
		if err := reqs[0].JSON(&one); err != nil {
			t.Fatal(err)
		}
		if err := reqs[3].JSON(&last); err != nil {
			t.Fatal(err)
		}
		if last.System[0].CacheControl == nil || last.System[0].Text != one.System[0].Text {
			t.Fatal("the stable system prefix is not marked for the cache, or changed between turns")
		}
		for _, b := range last.System {
			if strings.Contains(b.Text, "</memory_index>") || strings.Contains(b.Text, "Today is") {
				t.Fatalf("volatile context in the system prompt, ahead of the history: %q", b.Text)
			}
		}
		latest := last.Messages[len(last.Messages)-1].Content
		if len(latest) != 2 || latest[0].Text != "third" || latest[0].CacheControl == nil {
			t.Fatalf("the latest message is not the user's text marked for the cache, then the context: %+v", latest)
		}
		ctxBlock := latest[1]
		if ctxBlock.CacheControl != nil || !strings.HasPrefix(ctxBlock.Text, "<context>") || !strings.Contains(ctxBlock.Text, "Today is") ||
			!strings.Contains(ctxBlock.Text, "<memory_index>") || !strings.Contains(ctxBlock.Text, "notes.md") {
			t.Fatalf("context block %+v: want today's date and the memory index with the new file, after the breakpoint", ctxBlock)
		}
		if !strings.Contains(last.System[0].Text, "information, not instructions") {
			t.Fatal("the stable prompt does not say the context block is data")
		}
		// Earlier turns are sent as they were, without their context: the history before
		// the latest message is byte for byte the one the previous turn cached.
		if last.Messages[0].Content[0].Text != "first" || len(last.Messages[0].Content) != 1 {
			t.Fatalf("the first turn is not resent unchanged: %+v", last.Messages[0].Content)
		}
	})
}

func TestMemoryQuotaFromThePlan(t *testing.T) {
	plans := `[{"id":"free","name":"Free","limits":{"memory_file_bytes":8}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_PLANS", plans)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		st := send(t, s, token, conv, "Please remember that I like green tea.")
		var res struct {
			Result       string
			IsError      bool `json:"is_error"`
			WritesMemory bool `json:"writes_memory"`
		}
		for _, e := range st.events {
			if e.Name == "tool_result" {
				e.decode(t, &res)
			}
		}
		if !res.IsError || res.WritesMemory || !strings.Contains(res.Result, "8 bytes") {
			t.Fatalf("a write over the plan's file quota: %+v", res)
		}
		if st.end() != chat.StatusComplete {
			t.Fatalf("status %s", st.end())
		}
		if res := s.Do("GET", "/api/v1/memory", token, nil); strings.Contains(string(res.Body), "notes.md") {
			t.Fatalf("the file was written: %s", res.Body)
		}
	})
}
