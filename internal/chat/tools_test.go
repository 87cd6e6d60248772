package chat_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

// recordingTool is a feature's tool: it records its calls and returns a set result.
type recordingTool struct {
	name   string
	result chat.ToolResult

	mu    sync.Mutex
	calls []chat.ToolCall
}

func (t *recordingTool) Definition() llm.Tool {
	return llm.Tool{Name: t.name, Description: "A feature's tool.", Schema: json.RawMessage(`{"type":"object","properties":{"x":{"type":"integer"}}}`)}
}

func (t *recordingTool) Run(_ context.Context, c chat.ToolCall) (chat.ToolResult, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, c)
	return t.result, nil
}

func (t *recordingTool) recorded() []chat.ToolCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]chat.ToolCall(nil), t.calls...)
}

// anthropicRequest is what the tests read of a request to the fake Anthropic API.
type anthropicRequest struct {
	MaxTokens int `json:"max_tokens"`
	Tools     []struct {
		Name string `json:"name"`
	} `json:"tools"`
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
}

func (r anthropicRequest) offers(name string) bool {
	for _, t := range r.Tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

func anthropicRequests(t *testing.T, fake *llmtest.Server) []anthropicRequest {
	t.Helper()
	var out []anthropicRequest
	for _, r := range fake.TurnRequests(llmtest.Anthropic) {
		var req anthropicRequest
		if err := r.JSON(&req); err != nil {
			t.Fatal(err)
		}
		out = append(out, req)
	}
	return out
}

// sendWith starts a turn from Go and collects its events until it ends.
func sendWith(t *testing.T, s *apptest.Server, userID, convID, content string, opts chat.SendOptions) (*chat.Reply, []chat.ReplyEvent) {
	t.Helper()
	ctx := context.Background()
	r, err := s.Chat.SendMessageWith(ctx, userID, convID, content, opts)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	var evs []chat.ReplyEvent
	if err := r.Follow(ctx, func(ev chat.ReplyEvent) error { evs = append(evs, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return r, evs
}

// toolResultOf is a tool_result event's payload.
type toolResultOf struct {
	Tool         string          `json:"tool"`
	Result       string          `json:"result"`
	IsError      bool            `json:"is_error"`
	WritesMemory bool            `json:"writes_memory"`
	Change       bool            `json:"change"`
	Undo         json.RawMessage `json:"undo"`
}

func eventOf[T any](t *testing.T, evs []chat.ReplyEvent, name string) (v T, ok bool) {
	t.Helper()
	for _, ev := range evs {
		if ev.Name == name {
			if err := json.Unmarshal(ev.Data, &v); err != nil {
				t.Fatal(err)
			}
			return v, true
		}
	}
	return v, false
}

// TestRegisteredTool: a feature's tool is offered to the model, its call runs with the
// turn's user, conversation, reply and origin, and its change and undo action reach the
// user in the tool_result event and the stored step.
func TestRegisteredTool(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		undo := `{"tool":"notes","action":"delete","note_id":"n1"}`
		tool := &recordingTool{name: "notes", result: chat.ToolResult{Text: "Note n1 created.", Change: true, Undo: json.RawMessage(undo)}}
		s.Chat.RegisterTool(tool)
		userID, token := user(t, s)
		conv := newConversation(t, s, token)
		call := llmtest.Reply{Text: "Noting.", ToolCalls: []llmtest.ToolCall{{Name: "notes", Input: `{"x":1}`}}}

		fake.Script(llmtest.Anthropic, call)
		st := send(t, s, token, conv, "Note this.")
		reqs := anthropicRequests(t, fake)
		if !reqs[0].offers("notes") || !reqs[0].offers("current_time") {
			t.Fatalf("offered tools: %+v", reqs[0].Tools)
		}
		calls := tool.recorded()
		replyID := startIDOf(t, st)
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		c := calls[0]
		if c.UserID != userID || c.ConversationID != conv || c.MessageID != replyID || c.Origin != chat.OriginChat ||
			string(c.Input) != `{"x":1}` || c.Loc == nil {
			t.Fatalf("call = %+v", c)
		}
		var res toolResultOf
		for _, e := range st.events {
			if e.Name == "tool_result" {
				e.decode(t, &res)
			}
		}
		if res.Tool != "notes" || res.Result != "Note n1 created." || res.IsError || !res.Change || res.WritesMemory || string(res.Undo) != undo {
			t.Fatalf("tool_result = %+v", res)
		}
		steps := messages(t, s, token, conv)[1].Steps
		if len(steps) != 1 || !steps[0].Change || steps[0].WritesMemory || string(steps[0].Undo) != undo || steps[0].Result != "Note n1 created." {
			t.Fatalf("stored steps = %+v", steps)
		}

		// A task's run: the tool sees its origin.
		fake.Script(llmtest.Anthropic, call)
		sendWith(t, s, userID, conv, "Run the task.", chat.SendOptions{Origin: chat.OriginTask})
		if calls := tool.recorded(); len(calls) != 2 || calls[1].Origin != chat.OriginTask {
			t.Fatalf("calls = %+v", calls)
		}

		// Re-attaching to the stored reply replays the same event.
		if res := s.Do("GET", "/api/v1/messages/"+replyID, token, nil); !strings.Contains(string(res.Body), `"undo":`+undo) {
			t.Fatalf("message: %s", res.Body)
		}
	})
}

func TestRegisterToolRefusesADuplicateName(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, llmtest.Start(t))
		defer func() {
			if recover() == nil {
				t.Fatal("a second tool named current_time was registered")
			}
		}()
		s.Chat.RegisterTool(&recordingTool{name: "current_time"})
	})
}

// TestExcludedTool: a tool excluded from a turn is not offered, and a call of it anyway is
// refused as an error result, without running it.
func TestExcludedTool(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		tool := &recordingTool{name: "reports", result: chat.ToolResult{Text: "created"}}
		s.Chat.RegisterTool(tool)
		userID, token := user(t, s)
		conv := newConversation(t, s, token)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "Creating.", ToolCalls: []llmtest.ToolCall{{Name: "reports", Input: `{}`}}})
		_, evs := sendWith(t, s, userID, conv, "Run.", chat.SendOptions{Origin: chat.OriginTask, ExcludeTools: []string{"reports"}})
		reqs := anthropicRequests(t, fake)
		if reqs[0].offers("reports") || !reqs[0].offers("current_time") {
			t.Fatalf("offered tools: %+v", reqs[0].Tools)
		}
		if n := len(tool.recorded()); n != 0 {
			t.Fatalf("the excluded tool ran %d times", n)
		}
		res, _ := eventOf[toolResultOf](t, evs, "tool_result")
		if !res.IsError || res.Change || !strings.Contains(res.Result, "not available") {
			t.Fatalf("tool_result = %+v", res)
		}
		// Every call of the turn keeps the options.
		if len(reqs) != 2 || reqs[1].offers("reports") {
			t.Fatalf("%d calls; the second offers the excluded tool: %+v", len(reqs), reqs[len(reqs)-1].Tools)
		}
	})
}

// TestHistoryTurns: a turn limited to its last turn sends the model only its own message,
// while an ordinary turn sends the whole conversation.
func TestHistoryTurns(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		userID, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "first")
		send(t, s, token, conv, "second")
		last := func() anthropicRequest { reqs := anthropicRequests(t, fake); return reqs[len(reqs)-1] }

		sendWith(t, s, userID, conv, "third", chat.SendOptions{HistoryTurns: 1})
		if r := last(); len(r.Messages) != 1 || r.Messages[0].Content[0].Text != "third" {
			t.Fatalf("HistoryTurns 1 sent %+v", r.Messages)
		}
		sendWith(t, s, userID, conv, "fourth", chat.SendOptions{HistoryTurns: 2})
		if r := last(); len(r.Messages) != 3 || r.Messages[0].Content[0].Text != "third" {
			t.Fatalf("HistoryTurns 2 sent %+v", r.Messages)
		}
		send(t, s, token, conv, "fifth")
		if r := last(); len(r.Messages) != 9 || r.Messages[0].Content[0].Text != "first" {
			t.Fatalf("an ordinary turn sent %d messages", len(r.Messages))
		}
	})
}

// TestTokenBudget: a turn with a token budget starts no model call once it is spent and
// ends failed with budget_exceeded, keeping its steps; the last call's output is capped
// to what was left.
func TestTokenBudget(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		userID, token := user(t, s)
		conv := newConversation(t, s, token)
		again := llmtest.Reply{Text: "Checking.", ToolCalls: []llmtest.ToolCall{{Name: "current_time", Input: "{}"}},
			Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}}
		fake.Script(llmtest.Anthropic, again, again, again, again, again)
		r, evs := sendWith(t, s, userID, conv, "loop", chat.SendOptions{MaxTokens: 250})
		reqs := anthropicRequests(t, fake)
		if len(reqs) != 3 {
			t.Fatalf("%d model calls, want 3 (110 and 220 tokens spent before the second and third)", len(reqs))
		}
		for i, want := range []int{250, 140, 30} {
			if reqs[i].MaxTokens != want {
				t.Fatalf("call %d: max_tokens %d, want the %d left", i, reqs[i].MaxTokens, want)
			}
		}
		e, _ := eventOf[struct{ Code string }](t, evs, "error")
		m := message(t, s, token, r.ID)
		if m.Status != chat.StatusFailed || e.Code != "budget_exceeded" || m.Error == nil || m.Error.Code != "budget_exceeded" {
			t.Fatalf("status %s, event %q, stored %+v", m.Status, e.Code, m.Error)
		}
		if len(m.Steps) != 3 || m.Usage.InputTokens != 300 || m.Content == "" {
			t.Fatalf("stored reply: %d steps, usage %+v, %q", len(m.Steps), m.Usage, m.Content)
		}
	})
}
