package llm_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

// streamBody answers every request with one fixed body, as a provider's stream would.
type streamBody struct{ body []byte }

func (s streamBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{"Content-Type": {"text/event-stream"}}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(s.body)),
		ContentLength: -1, Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// recorder keeps the response bodies of real exchanges with the fake, as seeds.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	rec.mu.Lock()
	rec.bodies = append(rec.bodies, b)
	rec.mu.Unlock()
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res, nil
}

func fuzzProvider(p llmtest.Provider, base string, client *http.Client) (llm.Provider, error) {
	pc := llm.ProviderConfig{APIKey: "k", HTTPClient: client}
	switch p {
	case llmtest.Anthropic:
		pc.BaseURL, pc.Model = base, "claude-sonnet-4-5"
		return llm.NewAnthropic(pc), nil
	case llmtest.OpenAI:
		pc.BaseURL, pc.Model = base+"/v1", "gpt-5-mini"
		return llm.NewOpenAI(pc), nil
	default:
		pc.BaseURL, pc.Model = base, "gemini-2.5-flash"
		return llm.NewGemini(pc)
	}
}

func fuzzRouter(p llm.Provider) *llm.Router {
	return llm.NewRouter(llm.RouterConfig{MaxRetries: 0, BreakerThreshold: 1 << 20,
		FirstTokenTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler)}, p)
}

func toolRequest() *llm.Request {
	req := hello()
	req.Messages = []llm.Message{llm.UserText("Please remember that I like tea")}
	req.Tools = []llm.Tool{memoryTool}
	return req
}

// fuzzStream feeds arbitrary bytes as provider p's streamed answer through the official
// SDK and the router. Whatever arrives, the reply ends (no hang, no panic) either complete
// or with an *llm.Error, the text is valid UTF-8 where the input was, a tool call's
// arguments are passed on as JSON or refused, and usage is never negative.
func fuzzStream(f *testing.F, p llmtest.Provider) {
	// Seeds: what the fake (speaking the real wire protocol) sends for a plain reply, a
	// tool call and an error event.
	srv := llmtest.Start(f)
	rec := &recorder{}
	real, err := fuzzProvider(p, srv.URL, &http.Client{Transport: rec})
	if err != nil {
		f.Fatal(err)
	}
	r := fuzzRouter(real)
	srv.Script(p, llmtest.Reply{Text: "Hello there, héllo 👋"}, llmtest.Reply{Text: "Half a reply that fails", MidStreamError: true, FailAfter: 2})
	for _, req := range []*llm.Request{hello(), hello(), toolRequest()} {
		turn := r.Stream(context.Background(), req)
		for turn.Next() {
		}
		turn.Close()
	}
	for _, b := range rec.bodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		prov, err := fuzzProvider(p, "http://fuzz.invalid", &http.Client{Transport: streamBody{body}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		turn := fuzzRouter(prov).Stream(ctx, toolRequest())
		defer turn.Close()
		var text []byte
		for turn.Next() {
			ev := turn.Event()
			switch ev.Type {
			case llm.EventText:
				text = append(text, ev.Text...)
			case llm.EventUsage:
				u := ev.Usage
				if u.InputTokens < 0 || u.OutputTokens < 0 || u.CacheReadTokens < 0 || u.CacheWriteTokens < 0 {
					t.Fatalf("negative usage %+v", u)
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("the reply did not end: %v", ctx.Err())
		}
		if err := turn.Err(); err != nil {
			var le *llm.Error
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
			}
			return
		}
		if utf8.Valid(body) && !utf8.Valid(text) {
			t.Fatalf("valid input became invalid text %q", text)
		}
	})
}

func FuzzAnthropicStream(f *testing.F) { fuzzStream(f, llmtest.Anthropic) }
func FuzzOpenAIStream(f *testing.F)    { fuzzStream(f, llmtest.OpenAI) }
func FuzzGeminiStream(f *testing.F)    { fuzzStream(f, llmtest.Gemini) }
