package llm_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

// Every adapter, through its official SDK against the fake speaking its wire format.

func TestAdapterStreamsText(t *testing.T) {
	for _, p := range allProviders {
		t.Run(string(p), func(t *testing.T) {
			srv := llmtest.Start(t)
			srv.Script(p, llmtest.Reply{Text: "Hello there, how can I help?"})
			r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, p)
			evs, res, err := run(t, r, hello())
			if err != nil {
				t.Fatal(err)
			}
			if got := textOf(evs); got != "Hello there, how can I help?" {
				t.Fatalf("streamed text %q", got)
			}
			if n := strings.Count(textOf(evs), " "); countType(evs, llm.EventText) < n {
				t.Fatalf("text came in %d events, want one per word", countType(evs, llm.EventText))
			}
			if evs[len(evs)-1].Type != llm.EventStop || res.StopReason != llm.StopEndTurn {
				t.Fatalf("last event %v, stop %q", evs[len(evs)-1].Type, res.StopReason)
			}
			if res.Message.Text() != "Hello there, how can I help?" || res.Message.Role != llm.RoleAssistant {
				t.Fatalf("result message %+v", res.Message)
			}
			if res.Provider != string(p) || res.Model != newProvider(t, p, srv.URL).Model(llm.TierMain) || res.Fallback {
				t.Fatalf("served by %s %s fallback=%v", res.Provider, res.Model, res.Fallback)
			}
			if res.Usage.InputTokens <= 0 || res.Usage.OutputTokens <= 0 {
				t.Fatalf("usage %+v", res.Usage)
			}
		})
	}
}

func countType(evs []llm.Event, typ llm.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestAdapterUsageWithCacheTokens(t *testing.T) {
	usage := llm.Usage{InputTokens: 12, OutputTokens: 7, CacheReadTokens: 900, CacheWriteTokens: 300, CacheWrite5mTokens: 100, CacheWrite1hTokens: 200}
	want := map[llmtest.Provider]llm.Usage{
		llmtest.Anthropic: usage,
		// OpenAI reports cached and written tokens inside prompt_tokens; no TTL split.
		llmtest.OpenAI: {InputTokens: 12, OutputTokens: 7, CacheReadTokens: 900, CacheWriteTokens: 300},
		// Gemini reports only cached tokens (cachedContentTokenCount).
		llmtest.Gemini: {InputTokens: 12, OutputTokens: 7, CacheReadTokens: 900},
	}
	for _, p := range allProviders {
		t.Run(string(p), func(t *testing.T) {
			srv := llmtest.Start(t)
			srv.Script(p, llmtest.Reply{Text: "Cached answer", Usage: usage})
			r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, p)
			evs, res, err := run(t, r, hello())
			if err != nil {
				t.Fatal(err)
			}
			if res.Usage != want[p] {
				t.Fatalf("usage\n got %+v\nwant %+v", res.Usage, want[p])
			}
			var last llm.Usage
			for _, e := range evs {
				if e.Type == llm.EventUsage {
					last = e.Usage
				}
			}
			if last != want[p] {
				t.Fatalf("last usage event %+v", last)
			}
		})
	}
}

func TestAdapterToolCallRoundTrip(t *testing.T) {
	for _, p := range allProviders {
		t.Run(string(p), func(t *testing.T) {
			srv := llmtest.Start(t)
			srv.Script(p,
				llmtest.Reply{Text: "Let me look.", ToolCalls: []llmtest.ToolCall{{ID: "call_7", Name: "memory", Input: `{"command":"view","path":"/memories"}`}}},
				llmtest.Reply{Text: "You have no memories yet."},
			)
			r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, p)
			req := hello()
			req.Tools = []llm.Tool{memoryTool}
			evs, res, err := run(t, r, req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StopReason != llm.StopToolUse {
				t.Fatalf("stop %q", res.StopReason)
			}
			calls := res.Message.ToolCalls()
			if len(calls) != 1 || calls[0].ToolCallID != "call_7" || calls[0].ToolName != "memory" {
				t.Fatalf("tool calls %+v", calls)
			}
			var args map[string]string
			if err := json.Unmarshal(calls[0].Input, &args); err != nil || args["path"] != "/memories" {
				t.Fatalf("tool input %s (%v)", calls[0].Input, err)
			}
			for _, typ := range []llm.EventType{llm.EventToolStart, llm.EventToolDelta, llm.EventToolEnd} {
				if !slices.Contains(types(evs), typ) {
					t.Fatalf("no %v event in %v", typ, types(evs))
				}
			}
			for _, e := range evs {
				if e.Type == llm.EventToolEnd && (e.ToolCallID != "call_7" || string(e.Input) != string(calls[0].Input)) {
					t.Fatalf("tool end event %+v", e)
				}
			}

			// Send the result back: the provider must receive it tied to the call.
			req.Messages = append(req.Messages, res.Message, llm.Message{Role: llm.RoleUser, Parts: []llm.Part{
				llm.ToolResultPart("call_7", "memory", "No memory files.", false),
			}})
			_, res2, err := run(t, r, req)
			if err != nil {
				t.Fatal(err)
			}
			if res2.Message.Text() != "You have no memories yet." || res2.StopReason != llm.StopEndTurn {
				t.Fatalf("second reply %+v", res2)
			}
			reqs := srv.Requests(p)
			body := string(reqs[len(reqs)-1].Body)
			for _, want := range []string{"call_7", "No memory files.", "/memories"} {
				if !strings.Contains(body, want) {
					t.Fatalf("second request lacks %q: %s", want, body)
				}
			}
		})
	}
}

// Each failure kind as each provider reports it, seen from the adapter itself.
func TestAdapterClassifiesFailures(t *testing.T) {
	type tc struct {
		name   string
		reply  llmtest.Reply
		kind   llm.Kind
		status int
		only   llmtest.Provider
	}
	cases := []tc{
		{"overloaded 529", llmtest.Reply{Status: 529}, llm.KindTransient, 529, llmtest.Anthropic},
		{"unavailable 503", llmtest.Reply{Status: 503}, llm.KindTransient, 503, ""},
		{"server error 500", llmtest.Reply{Status: 500}, llm.KindTransient, 500, ""},
		{"rate limited 429", llmtest.Reply{Status: 429}, llm.KindTransient, 429, ""},
		{"request timeout 408", llmtest.Reply{Status: 408}, llm.KindTransient, 408, ""},
		{"conflict 409", llmtest.Reply{Status: 409}, llm.KindTransient, 409, ""},
		{"bad key 401", llmtest.Reply{Status: 401}, llm.KindAuth, 401, ""},
		{"forbidden 403", llmtest.Reply{Status: 403}, llm.KindAuth, 403, ""},
		{"invalid 400", llmtest.Reply{Status: 400, ErrorMessage: "messages: field required"}, llm.KindInvalid, 400, ""},
		{"context too long", llmtest.Reply{Status: 400, ErrorMessage: "prompt is too long: 210000 tokens > 200000 maximum"}, llm.KindContextTooLong, 400, llmtest.Anthropic},
		{"context too long", llmtest.Reply{Status: 400, ErrorType: "context_length_exceeded", ErrorMessage: "This model's maximum context length is 128000 tokens."}, llm.KindContextTooLong, 400, llmtest.OpenAI},
		{"context too long", llmtest.Reply{Status: 400, ErrorMessage: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."}, llm.KindContextTooLong, 400, llmtest.Gemini},
		{"mid-stream error", llmtest.Reply{Text: "one two three", MidStreamError: true, FailAfter: 2}, llm.KindTransient, 0, ""},
		{"disconnect", llmtest.Reply{Text: "one two three", Disconnect: true, DisconnectAfter: 1}, llm.KindTransient, 0, ""},
	}
	for _, p := range allProviders {
		for _, c := range cases {
			if c.only != "" && c.only != p {
				continue
			}
			t.Run(string(p)+"/"+c.name, func(t *testing.T) {
				srv := llmtest.Start(t)
				srv.Script(p, c.reply)
				err := openAndDrain(t, newProvider(t, p, srv.URL))
				if err == nil {
					t.Fatal("no error")
				}
				e := asError(t, err)
				if c.name == "mid-stream error" && p == llmtest.Gemini {
					c.status = 503 // Gemini's error chunk carries the status code
				}
				if e.Kind != c.kind || e.Status != c.status || e.Provider != string(p) {
					t.Fatalf("got kind %v status %d provider %s (%v), want %v %d", e.Kind, e.Status, e.Provider, e, c.kind, c.status)
				}
				if c.status == 529 && e.Type != "overloaded_error" {
					t.Fatalf("529 type %q", e.Type)
				}
				if e.Retryable() != (c.kind == llm.KindTransient) {
					t.Fatalf("retryable %v", e.Retryable())
				}
			})
		}
	}
}

func TestAdapterReadsRetryAfter(t *testing.T) {
	for _, p := range allProviders {
		t.Run(string(p), func(t *testing.T) {
			srv := llmtest.Start(t)
			srv.Script(p, llmtest.Reply{Status: 429, RetryAfter: "7"})
			prov := newProvider(t, p, srv.URL)
			if e := asError(t, openAndDrain(t, prov)); e.RetryAfter.Seconds() != 7 {
				t.Fatalf("retry after %s", e.RetryAfter)
			}
		})
	}
}

func TestAnthropicMidStreamOverloadedErrorType(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Text: "a b c", MidStreamError: true, FailAfter: 1})
	prov := newProvider(t, llmtest.Anthropic, srv.URL)
	s, err := prov.Open(t.Context(), "claude-sonnet-4-5", hello())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var text string
	for s.Next() {
		if ev := s.Event(); ev.Type == llm.EventText {
			text += ev.Text
		}
	}
	if e := asError(t, s.Err()); e.Type != "overloaded_error" || text != "a" {
		t.Fatalf("error %v after text %q", e, text)
	}
}

// openAndDrain calls the provider directly and reads its stream to the end.
func openAndDrain(t *testing.T, prov llm.Provider) error {
	s, err := prov.Open(t.Context(), prov.Model(llm.TierMain), hello())
	if err != nil {
		return err
	}
	defer s.Close()
	for s.Next() {
	}
	return s.Err()
}
