package chat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm/llmtest"
)

func TestFullTurn(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		secret := "my-private-words-" + conv[:8]

		st := send(t, s, token, conv, "Hello there, "+secret)
		names := st.names()
		if names[0] != "message_start" || names[len(names)-1] != "message_end" {
			t.Fatalf("events = %v", names)
		}
		if st.end() != chat.StatusComplete {
			t.Fatalf("status = %s", st.end())
		}
		if !strings.HasPrefix(st.text(), "You said: Hello there") {
			t.Fatalf("streamed text = %q", st.text())
		}
		ms := messages(t, s, token, conv)
		if len(ms) != 2 || ms[0].Role != "user" || ms[1].Role != "assistant" {
			t.Fatalf("messages = %+v", ms)
		}
		reply := ms[1]
		if reply.Content != st.text() || reply.Status != chat.StatusComplete {
			t.Fatalf("stored reply %q (%s) differs from streamed %q", reply.Content, reply.Status, st.text())
		}
		if reply.Provider != "anthropic" || reply.Model == "" || reply.Fallback {
			t.Fatalf("reply provenance = %s %s fallback=%v", reply.Provider, reply.Model, reply.Fallback)
		}
		if reply.Usage.InputTokens == 0 || reply.Usage.OutputTokens == 0 {
			t.Fatalf("reply usage = %+v", reply.Usage)
		}
		var c chat.Conversation
		s.Do("GET", "/api/v1/conversations/"+conv, token, nil).JSON(t, &c)
		if c.Usage != reply.Usage || !strings.HasPrefix(c.Title, "Hello there") {
			t.Fatalf("conversation = %+v, reply usage %+v", c, reply.Usage)
		}
		// The model saw the operator prompt, the preferences and the message.
		reqs := fake.TurnRequests(llmtest.Anthropic)
		var body struct {
			System []struct {
				Text         string          `json:"text"`
				CacheControl json.RawMessage `json:"cache_control"`
			} `json:"system"`
			Tools []struct{ Name string } `json:"tools"`
		}
		if err := reqs[len(reqs)-1].JSON(&body); err != nil {
			t.Fatal(err)
		}
		// One stable system block (a second holds a summary once there is one); the
		// date and memory index follow the history, in the latest message.
		if len(body.System) < 1 || !strings.Contains(body.System[0].Text, "You are Ally") || body.System[0].CacheControl == nil {
			t.Fatalf("system blocks = %+v", body.System)
		}
		if len(body.Tools) != 3 || body.Tools[0].Name != "current_time" || body.Tools[1].Name != "memory" || body.Tools[2].Name != "tasks" {
			t.Fatalf("tools offered = %+v, want current_time, memory and the app's tasks", body.Tools)
		}
		// Nothing the user wrote reaches the logs.
		if strings.Contains(s.Logs.String(), secret) {
			t.Fatal("message content appears in the logs")
		}
		// Nothing is in progress any more.
		if res := s.Do("GET", "/api/v1/conversations/"+conv+"/stream", token, nil); res.Status != http.StatusNoContent {
			t.Fatalf("re-attach after the end: %d", res.Status)
		}
	})
}

func TestToolLoopEditsMemory(t *testing.T) {
	providers := []struct {
		name string
		env  []string
	}{
		{"anthropic", nil},
		{"openai", []string{"ANTHROPIC_API_KEY", ""}},
		{"gemini", []string{"ANTHROPIC_API_KEY", "", "OPENAI_API_KEY", "", "OPENAI_BASE_URL", ""}},
	}
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		for _, p := range providers {
			t.Run(p.name, func(t *testing.T) {
				fake := llmtest.Start(t)
				s := start(t, tg, fake, p.env...)
				_, token := user(t, s)
				conv := newConversation(t, s, token)
				st := send(t, s, token, conv, "Please remember that I like green tea.")
				if st.end() != chat.StatusComplete {
					t.Fatalf("status %s, events %v", st.end(), st.names())
				}
				var call struct {
					Tool  string
					Input struct{ Command, Path string }
				}
				for _, e := range st.events {
					if e.Name == "tool_call" {
						e.decode(t, &call)
					}
				}
				if call.Tool != "memory" || call.Input.Command != "create" {
					t.Fatalf("tool call = %+v", call)
				}
				var result struct {
					IsError      bool            `json:"is_error"`
					WritesMemory bool            `json:"writes_memory"`
					Change       bool            `json:"change"`
					Undo         json.RawMessage `json:"undo"`
				}
				for _, e := range st.events {
					if e.Name == "tool_result" {
						e.decode(t, &result)
					}
				}
				if result.IsError || !result.WritesMemory || !result.Change || string(result.Undo) != "null" {
					t.Fatalf("tool result = %+v", result)
				}
				if !strings.Contains(st.text(), "Done: I have saved that to memory.") {
					t.Fatalf("text = %q", st.text())
				}
				ms := messages(t, s, token, conv)
				reply := ms[len(ms)-1]
				if len(reply.Steps) != 1 || !reply.Steps[0].WritesMemory || !reply.Steps[0].Change || string(reply.Steps[0].Undo) != "null" || reply.Provider != p.name {
					t.Fatalf("stored reply = %+v", reply)
				}
				if strings.Contains(s.Logs.String(), "green tea") {
					t.Fatal("memory content appears in the logs")
				}
				// The memory file exists, and the next turn's context lists it.
				send(t, s, token, conv, "What do you know about me?")
				reqs := fake.TurnRequests(llmtest.Provider(p.name))
				last := string(reqs[len(reqs)-1].Body)
				if !strings.Contains(last, llmtest.MemoryPath) {
					t.Fatalf("the next turn does not see the memory index: %s", last)
				}
			})
		}
	})
}

func TestMemoryOffHidesTheTool(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		res := s.Do("PUT", "/api/v1/me/preferences", token, map[string]any{"memory_enabled": false, "assistant_name": "Sam", "response_length": "short"})
		if res.Status != http.StatusOK {
			t.Fatalf("preferences: %d %s", res.Status, res.Body)
		}
		conv := newConversation(t, s, token)
		st := send(t, s, token, conv, "Please remember that I like green tea.")
		for _, e := range st.events {
			if e.Name == "tool_call" {
				t.Fatal("the memory tool was used while memory is off")
			}
		}
		reqs := fake.TurnRequests(llmtest.Anthropic)
		body := string(reqs[len(reqs)-1].Body)
		if strings.Contains(body, `"name":"memory"`) || !strings.Contains(body, `\"Sam\"`) || !strings.Contains(body, "Keep replies short") {
			t.Fatalf("request does not follow the preferences: %s", body)
		}
	})
}

func TestSendRefusals(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		path := "/api/v1/conversations/" + conv + "/messages"

		_, unverified := authtest.NewUser(t, s, authtest.Unverified())
		uconv := newConversation(t, s, unverified)
		if res := s.Do("POST", "/api/v1/conversations/"+uconv+"/messages", unverified, map[string]string{"content": "hi"}); res.Status != http.StatusForbidden {
			t.Fatalf("unverified send: %d %s", res.Status, res.Body)
		}
		for name, body := range map[string]any{
			"empty":   map[string]string{"content": "  "},
			"unknown": map[string]any{"content": "hi", "extra": 1},
			"long":    map[string]string{"content": strings.Repeat("x", 32001)},
		} {
			if res := s.Do("POST", path, token, body); res.Status != http.StatusBadRequest {
				t.Fatalf("%s: %d %s", name, res.Status, res.Body)
			}
		}
		if ms := messages(t, s, token, conv); len(ms) != 0 {
			t.Fatalf("refused sends stored messages: %+v", ms)
		}
		if n := len(fake.TurnRequests(llmtest.Anthropic)); n != 0 {
			t.Fatalf("refused sends called the model %d times", n)
		}
	})
}

func TestNoProvider(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ANTHROPIC_API_KEY", "", "OPENAI_API_KEY", "", "OPENAI_BASE_URL", "", "GEMINI_API_KEY", "")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		res := s.Do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "hello"})
		if res.Status != http.StatusServiceUnavailable || res.ErrorCode() != "no_provider" || !strings.Contains(string(res.Body), "ANTHROPIC_API_KEY") {
			t.Fatalf("send without a provider: %d %s", res.Status, res.Body)
		}
		if ms := messages(t, s, token, conv); len(ms) != 0 {
			t.Fatalf("stored %d messages", len(ms))
		}
	})
}

// TestSendMessageInGo: other features (Telegram, scheduled tasks) hold the same turn
// through the Go API, with the same checks, and can follow it progressively.
func TestSendMessageInGo(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		userID, token := user(t, s)
		otherID, _ := user(t, s)
		conv := newConversation(t, s, token)
		ctx := context.Background()
		if _, err := s.Chat.SendMessage(ctx, otherID, conv, "hi"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("another user's conversation: %v", err)
		}
		if _, err := s.Chat.SendMessage(ctx, userID, conv, " "); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("empty message: %v", err)
		}
		r, err := s.Chat.SendMessage(ctx, userID, conv, "hello from a task")
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		var names []string
		if err := r.Follow(ctx, func(ev chat.ReplyEvent) error {
			names = append(names, ev.Name)
			text.WriteString(ev.Text)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		m, err := r.Wait(ctx)
		if err != nil || m.Status != chat.StatusComplete || m.Content != text.String() || names[len(names)-1] != "message_end" {
			t.Fatalf("reply %+v (%v), events %v", m, err, names)
		}
		if ms := messages(t, s, token, conv); len(ms) != 2 || ms[0].Content != "hello from a task" {
			t.Fatalf("conversation = %+v", ms)
		}
	})
}
