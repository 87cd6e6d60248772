package llm_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

var allProviders = []llmtest.Provider{llmtest.Anthropic, llmtest.OpenAI, llmtest.Gemini}

// Distinct timeouts, so a test can tell from the armed timer which phase it is in.
const (
	connectTimeout    = 11 * time.Second
	firstTokenTimeout = 22 * time.Second
	idleTimeout       = 33 * time.Second
)

func newProvider(t testing.TB, p llmtest.Provider, url string) llm.Provider {
	t.Helper()
	switch p {
	case llmtest.Anthropic:
		return llm.NewAnthropic(llm.ProviderConfig{APIKey: "test-key", BaseURL: url, Model: "claude-sonnet-4-5", SmallModel: "claude-haiku-4-5"})
	case llmtest.OpenAI:
		return llm.NewOpenAI(llm.ProviderConfig{APIKey: "test-key", BaseURL: url + "/v1", Model: "gpt-5-mini"})
	case llmtest.Gemini:
		g, err := llm.NewGemini(llm.ProviderConfig{APIKey: "test-key", BaseURL: url, Model: "gemini-2.5-flash"})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	t.Fatalf("unknown provider %q", p)
	return nil
}

// newRouter returns a router over the named providers of srv, on a fake clock.
func newRouter(t testing.TB, srv *llmtest.Server, clock *llmtest.Clock, cfg llm.RouterConfig, names ...llmtest.Provider) *llm.Router {
	t.Helper()
	var ps []llm.Provider
	for _, n := range names {
		ps = append(ps, newProvider(t, n, srv.URL))
	}
	cfg.Clock = clock
	cfg.ConnectTimeout, cfg.FirstTokenTimeout, cfg.IdleTimeout = connectTimeout, firstTokenTimeout, idleTimeout
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.BreakerThreshold == 0 {
		cfg.BreakerThreshold = 100
	}
	return llm.NewRouter(cfg, ps...)
}

// run streams req to its end and returns the events, the result and the error.
func run(t testing.TB, r *llm.Router, req *llm.Request) ([]llm.Event, llm.Result, error) {
	t.Helper()
	turn := r.Stream(context.Background(), req)
	defer turn.Close()
	var evs []llm.Event
	for turn.Next() {
		evs = append(evs, turn.Event())
	}
	return evs, turn.Result(), turn.Err()
}

func textOf(evs []llm.Event) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == llm.EventText {
			b.WriteString(e.Text)
		}
	}
	return b.String()
}

func types(evs []llm.Event) []llm.EventType {
	out := make([]llm.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

var memoryTool = llm.Tool{
	Name:        "memory",
	Description: "Read and write the user's memory files.",
	Schema:      json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"},"path":{"type":"string"}},"required":["command"]}`),
}

func hello() *llm.Request {
	return &llm.Request{
		System:   []llm.SystemBlock{{Text: "You are Ally.", Cache: true}},
		Messages: []llm.Message{llm.UserText("Hello")},
	}
}

// asError returns err as *llm.Error, failing the test otherwise.
func asError(t testing.TB, err error) *llm.Error {
	t.Helper()
	e, ok := err.(*llm.Error)
	if !ok {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	return e
}
