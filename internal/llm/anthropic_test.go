package llm_test

import (
	"encoding/json"
	"errors"
	"testing"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

// cacheMarks returns where a recorded Anthropic request put cache_control breakpoints.
func cacheMarks(t *testing.T, rec llmtest.RecordedRequest) (tools, system []string, messages []int, ttls []string) {
	t.Helper()
	type cc struct {
		Type string `json:"type"`
		TTL  string `json:"ttl"`
	}
	var body struct {
		Tools []struct {
			Name         string `json:"name"`
			CacheControl *cc    `json:"cache_control"`
		} `json:"tools"`
		System []struct {
			Text         string `json:"text"`
			CacheControl *cc    `json:"cache_control"`
		} `json:"system"`
		Messages []struct {
			Content []struct {
				CacheControl *cc `json:"cache_control"`
			} `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		t.Fatal(err)
	}
	for _, x := range body.Tools {
		if x.CacheControl != nil {
			tools = append(tools, x.Name)
			ttls = append(ttls, x.CacheControl.TTL)
		}
	}
	for _, x := range body.System {
		if x.CacheControl != nil {
			system = append(system, x.Text)
			ttls = append(ttls, x.CacheControl.TTL)
		}
	}
	for i, m := range body.Messages {
		for _, c := range m.Content {
			if c.CacheControl != nil {
				messages = append(messages, i)
				ttls = append(ttls, c.CacheControl.TTL)
			}
		}
	}
	return
}

func TestAnthropicCacheBreakpoints(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Anthropic)
	req := &llm.Request{
		System: []llm.SystemBlock{
			{Text: "operator prompt", Cache: true},
			{Text: "user preferences", Cache: true},
			{Text: "learned guidance", Cache: true},
			{Text: "current time: 09:00"},
		},
		Tools: []llm.Tool{memoryTool, {Name: "clock", Schema: json.RawMessage(`{"type":"object","properties":{}}`)}},
		Messages: []llm.Message{
			llm.UserText("first question"),
			{Role: llm.RoleAssistant, Parts: []llm.Part{llm.TextPart("first answer")}},
			llm.UserText("second question"),
		},
		StableMessages: 3,
	}
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	tools, system, messages, _ := cacheMarks(t, srv.Requests(llmtest.Anthropic)[0])
	// Four at most: the last tool, the last stable message, and the two latest marked
	// system blocks (a breakpoint covers everything before it).
	if len(tools) != 1 || tools[0] != "clock" {
		t.Fatalf("tool breakpoints %v", tools)
	}
	if len(system) != 2 || system[0] != "user preferences" || system[1] != "learned guidance" {
		t.Fatalf("system breakpoints %v", system)
	}
	if len(messages) != 1 || messages[0] != 2 {
		t.Fatalf("message breakpoints %v", messages)
	}

	// Without tools or stable messages, the budget goes to the system blocks.
	req.Tools, req.StableMessages = nil, 0
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	tools, system, messages, _ = cacheMarks(t, srv.Requests(llmtest.Anthropic)[1])
	if len(tools) != 0 || len(system) != 3 || len(messages) != 0 {
		t.Fatalf("breakpoints: tools %v system %v messages %v", tools, system, messages)
	}
}

func TestAnthropicCacheTTL(t *testing.T) {
	srv := llmtest.Start(t)
	p := llm.NewAnthropic(llm.ProviderConfig{APIKey: "k", BaseURL: srv.URL, Model: "claude-sonnet-4-5", CacheTTL: "1h"})
	r := llm.NewRouter(llm.RouterConfig{Clock: llmtest.NewClock()}, p)
	req := hello()
	req.Tools = []llm.Tool{memoryTool}
	req.StableMessages = 1
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	// The stable prefix (tools, system) lives an hour; the history, which changes every
	// turn, 5 minutes (the default, sent without a ttl), after it as the API requires.
	_, _, _, ttls := cacheMarks(t, srv.Requests(llmtest.Anthropic)[0])
	if len(ttls) != 3 || ttls[0] != "1h" || ttls[1] != "1h" || ttls[2] == "1h" {
		t.Fatalf("ttls %v, want 1h, 1h and 5m", ttls)
	}
}

// TestAnthropicVolatilePartAfterBreakpoint: the breakpoint of the last stable message
// goes on its last block before the volatile parts.
func TestAnthropicVolatilePartAfterBreakpoint(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Anthropic)
	req := hello()
	req.Messages[len(req.Messages)-1].Parts = append(req.Messages[len(req.Messages)-1].Parts, llm.VolatilePart("<context>today</context>"))
	req.StableMessages = len(req.Messages)
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []struct {
			Content []struct {
				Text         string          `json:"text"`
				CacheControl json.RawMessage `json:"cache_control"`
			} `json:"content"`
		} `json:"messages"`
	}
	if err := srv.Requests(llmtest.Anthropic)[0].JSON(&body); err != nil {
		t.Fatal(err)
	}
	last := body.Messages[len(body.Messages)-1].Content
	if len(last) != 2 || last[0].CacheControl == nil || last[1].CacheControl != nil || last[1].Text != "<context>today</context>" {
		t.Fatalf("last message %+v: want the breakpoint on the text, then the volatile block", last)
	}
}

func TestAnthropicSendsKeyAndVersion(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Anthropic)
	if _, _, err := run(t, r, hello()); err != nil {
		t.Fatal(err)
	}
	h := srv.Requests(llmtest.Anthropic)[0].Header
	// This SDK version sends the key as a bearer token; the API takes either form.
	if (h.Get("X-Api-Key") != "test-key" && h.Get("Authorization") != "Bearer test-key") || h.Get("Anthropic-Version") == "" {
		t.Fatalf("headers %v", h)
	}
}

func TestAnthropicMessageBatches(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic,
		llmtest.Reply{Text: "Session one went well.", Usage: llm.Usage{InputTokens: 50, OutputTokens: 5}},
		llmtest.Reply{Status: 400, ErrorMessage: "prompt is too long: 300000 tokens > 200000 maximum"},
	)
	a := llm.NewAnthropic(llm.ProviderConfig{APIKey: "k", BaseURL: srv.URL, Model: "claude-sonnet-4-5", SmallModel: "claude-haiku-4-5"})
	ctx := t.Context()
	st, err := a.CreateBatch(ctx, llm.TierSmall, []llm.BatchRequest{
		{CustomID: "user-1", Request: hello()},
		{CustomID: "user-2", Request: hello()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.ID == "" || st.Ended || st.Processing != 2 {
		t.Fatalf("created %+v", st)
	}
	var created struct {
		Requests []struct {
			CustomID string `json:"custom_id"`
			Params   struct {
				Model string `json:"model"`
			} `json:"params"`
		} `json:"requests"`
	}
	srv.Requests(llmtest.Anthropic)[0].JSON(&created)
	if len(created.Requests) != 2 || created.Requests[1].CustomID != "user-2" || created.Requests[0].Params.Model != "claude-haiku-4-5" {
		t.Fatalf("batch body %+v", created)
	}
	for !st.Ended {
		if st, err = a.PollBatch(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
	}
	if st.Succeeded != 1 || st.Errored != 1 {
		t.Fatalf("ended %+v", st)
	}
	got := map[string]llm.BatchResult{}
	if err := a.BatchResults(ctx, st.ID, func(r llm.BatchResult) error { got[r.CustomID] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	ok := got["user-1"]
	if ok.Err != nil || ok.Result.Message.Text() != "Session one went well." || ok.Result.Usage.InputTokens != 50 || ok.Result.StopReason != llm.StopEndTurn {
		t.Fatalf("user-1 %+v", ok)
	}
	if llm.KindOf(got["user-2"].Err) != llm.KindContextTooLong {
		t.Fatalf("user-2 %+v", got["user-2"])
	}
	if _, err := a.PollBatch(ctx, "msgbatch_missing"); llm.KindOf(err) != llm.KindInvalid {
		t.Fatalf("missing batch: %v", err)
	}
	stop := errors.New("stop")
	if err := a.BatchResults(ctx, st.ID, func(llm.BatchResult) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error %v", err)
	}
}

func TestAnthropicEmptyToolResult(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Anthropic)
	req := hello()
	req.Tools = []llm.Tool{memoryTool}
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, Parts: []llm.Part{llm.ToolUsePart("toolu_1", "memory", nil)}},
		llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.ToolResultPart("toolu_1", "memory", "", true)}})
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []struct {
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	srv.Requests(llmtest.Anthropic)[0].JSON(&body)
	use, result := body.Messages[1].Content[0], body.Messages[2].Content[0]
	if use["type"] != "tool_use" || len(use["input"].(map[string]any)) != 0 {
		t.Fatalf("tool use %v", use)
	}
	if result["type"] != "tool_result" || result["tool_use_id"] != "toolu_1" || result["is_error"] != true || result["content"] != nil {
		t.Fatalf("tool result %v", result)
	}
}
