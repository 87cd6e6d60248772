package llmtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"myally.app/ally/internal/llm/llmtest"
)

// cacheFake is a caching fake with a settable clock and an official SDK client.
type cacheFake struct {
	mu     sync.Mutex
	now    time.Time
	cache  *llmtest.PromptCache
	client anthropic.Client
}

func newCacheFake(t *testing.T) *cacheFake {
	f := &cacheFake{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	f.cache = llmtest.NewPromptCache(func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.now
	})
	hs := httptest.NewServer(llmtest.New(llmtest.Options{Cache: f.cache}))
	t.Cleanup(hs.Close)
	f.client = anthropic.NewClient(option.WithBaseURL(hs.URL), option.WithAPIKey("k"), option.WithMaxRetries(0), option.WithoutEnvironmentDefaults())
	return f
}

func (f *cacheFake) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// usage sends params streamed and returns the usage of message_start and message_delta.
func (f *cacheFake) usage(t *testing.T, p anthropic.MessageNewParams) (anthropic.Usage, anthropic.MessageDeltaUsage) {
	t.Helper()
	s := f.client.Messages.NewStreaming(context.Background(), p)
	defer s.Close()
	var start anthropic.Usage
	var delta anthropic.MessageDeltaUsage
	for s.Next() {
		ev := s.Current()
		switch ev.Type {
		case "message_start":
			start = ev.Message.Usage
		case "message_delta":
			delta = ev.Usage
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return start, delta
}

// text returns a text of about n tokens by the fake's estimate (bytes/4).
func text(word string, n int) string {
	return strings.Repeat(word+" ", n*4/(len(word)+1))
}

const sonnet = "claude-sonnet-4-5"

func params(model string, system []anthropic.TextBlockParam, msgs ...anthropic.MessageParam) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 100, System: system, Messages: msgs}
}

func cached(s string, ttl string) anthropic.TextBlockParam {
	cc := anthropic.NewCacheControlEphemeralParam()
	if ttl == "1h" {
		cc.TTL = anthropic.CacheControlEphemeralTTLTTL1h
	}
	return anthropic.TextBlockParam{Text: s, CacheControl: cc}
}

func user(s string) anthropic.MessageParam {
	return anthropic.NewUserMessage(anthropic.NewTextBlock(s))
}

// TestPromptCacheMinimum: a breakpoint caches its prefix only from 1,024 tokens on
// Sonnet and 2,048 on Haiku; a shorter prefix is billed as input, with no error.
func TestPromptCacheMinimum(t *testing.T) {
	cases := []struct {
		model  string
		tokens int
		cached bool
	}{
		{sonnet, 900, false},
		{sonnet, 1100, true},
		{"claude-haiku-4-5", 1100, false},
		{"claude-haiku-4-5", 2200, true},
		{"claude-opus-4-5", 1100, true},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			f := newCacheFake(t)
			p := params(c.model, []anthropic.TextBlockParam{cached(text("alpha", c.tokens), "")}, user("hi"))
			first, _ := f.usage(t, p)
			second, delta := f.usage(t, p)
			if !c.cached {
				if first.CacheCreationInputTokens != 0 || second.CacheReadInputTokens != 0 {
					t.Fatalf("a %d-token prefix was cached: %+v then %+v", c.tokens, first, second)
				}
				if second.InputTokens < int64(c.tokens)-10 {
					t.Fatalf("input %d, want the whole prompt", second.InputTokens)
				}
				return
			}
			if first.CacheCreationInputTokens < int64(c.tokens)-10 || first.CacheReadInputTokens != 0 {
				t.Fatalf("first call: %+v, want a write of the prefix", first)
			}
			if first.CacheCreation.Ephemeral5mInputTokens != first.CacheCreationInputTokens || first.CacheCreation.Ephemeral1hInputTokens != 0 {
				t.Fatalf("first call: the write is not all 5-minute: %+v", first.CacheCreation)
			}
			if second.CacheReadInputTokens != first.CacheCreationInputTokens || second.CacheCreationInputTokens != 0 {
				t.Fatalf("second call: %+v, want a read of what the first wrote", second)
			}
			if delta.CacheReadInputTokens != second.CacheReadInputTokens || delta.InputTokens != second.InputTokens {
				t.Fatalf("message_delta usage %+v differs from message_start's %+v", delta, second)
			}
			if second.InputTokens <= 0 || second.InputTokens > 10 {
				t.Fatalf("uncached input %d, want the user message alone", second.InputTokens)
			}
		})
	}
}

// TestPromptCacheBreakpointLimit: four breakpoints are accepted, a fifth is refused with
// the API's 400 invalid_request_error, and a 1-hour breakpoint after a 5-minute one too.
func TestPromptCacheBreakpointLimit(t *testing.T) {
	f := newCacheFake(t)
	var sys []anthropic.TextBlockParam
	for range 4 {
		sys = append(sys, cached(text("beta", 300), ""))
	}
	if u, _ := f.usage(t, params(sonnet, sys, user("hi"))); u.CacheCreationInputTokens < 1190 {
		t.Fatalf("4 breakpoints: %+v, want the 1,200-token prefix written", u)
	}
	sys = append(sys, cached("one more", ""))
	_, err := f.client.Messages.New(context.Background(), params(sonnet, sys, user("hi")))
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || !strings.Contains(ae.Error(), "invalid_request_error") ||
		!strings.Contains(ae.Error(), "maximum of 4 blocks with cache_control") {
		t.Fatalf("5 breakpoints: %v, want 400 invalid_request_error", err)
	}
	_, err = f.client.Messages.New(context.Background(), params(sonnet,
		[]anthropic.TextBlockParam{cached(text("gamma", 1100), ""), cached("later", "1h")}, user("hi")))
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		t.Fatalf("1h after 5m: %v, want 400", err)
	}
}

// TestPromptCacheTTL: a 5-minute entry expires 5 minutes after its last use, a read
// refreshes it, and a "ttl":"1h" entry lives an hour and is reported as a 1-hour write.
func TestPromptCacheTTL(t *testing.T) {
	f := newCacheFake(t)
	p := params(sonnet, []anthropic.TextBlockParam{cached(text("delta", 1200), "")}, user("hi"))
	w, _ := f.usage(t, p)
	f.advance(4 * time.Minute)
	if u, _ := f.usage(t, p); u.CacheReadInputTokens != w.CacheCreationInputTokens {
		t.Fatalf("after 4 minutes: %+v, want a read", u)
	}
	f.advance(4 * time.Minute) // 8 minutes after the write, 4 after the read
	if u, _ := f.usage(t, p); u.CacheReadInputTokens == 0 {
		t.Fatalf("4 minutes after a read: %+v, want a read (reads refresh the entry)", u)
	}
	f.advance(5 * time.Minute)
	if u, _ := f.usage(t, p); u.CacheReadInputTokens != 0 || u.CacheCreationInputTokens != w.CacheCreationInputTokens {
		t.Fatalf("5 minutes after the last use: %+v, want a fresh write", u)
	}

	h := params(sonnet, []anthropic.TextBlockParam{cached(text("epsilon", 1200), "1h")}, user("hi"))
	w, _ = f.usage(t, h)
	if w.CacheCreation.Ephemeral1hInputTokens == 0 || w.CacheCreation.Ephemeral5mInputTokens != 0 {
		t.Fatalf("1h write: %+v", w.CacheCreation)
	}
	f.advance(59 * time.Minute)
	if u, _ := f.usage(t, h); u.CacheReadInputTokens != w.CacheCreationInputTokens {
		t.Fatalf("after 59 minutes: %+v, want a read of the 1-hour entry", u)
	}
	f.advance(61 * time.Minute)
	if u, _ := f.usage(t, h); u.CacheReadInputTokens != 0 {
		t.Fatalf("after 61 minutes: %+v, want a miss", u)
	}
}

// TestPromptCacheChangedByteMisses: one byte changed before a breakpoint misses, one
// changed after it does not; moving the breakpoint does not change the key; and a later
// breakpoint finds the longest prefix cached at an earlier one (lookback).
func TestPromptCacheChangedByteMisses(t *testing.T) {
	f := newCacheFake(t)
	long := text("zeta", 1200)
	f.usage(t, params(sonnet, []anthropic.TextBlockParam{cached(long, "")}, user("hi")))
	changed := strings.Replace(long, "zeta", "zetA", 1)
	if u, _ := f.usage(t, params(sonnet, []anthropic.TextBlockParam{cached(changed, "")}, user("hi"))); u.CacheReadInputTokens != 0 {
		t.Fatalf("changed byte: %+v, want a miss", u)
	}
	if u, _ := f.usage(t, params(sonnet, []anthropic.TextBlockParam{cached(long, "")}, user("something else"))); u.CacheReadInputTokens == 0 {
		t.Fatalf("changed after the breakpoint: %+v, want a read", u)
	}
	// The next turn: the breakpoint moves to the last message; the lookback finds the
	// system prefix cached before.
	turn := params(sonnet, []anthropic.TextBlockParam{{Text: long}},
		user("hi"), anthropic.NewAssistantMessage(anthropic.NewTextBlock("hello")),
		anthropic.NewUserMessage(anthropic.ContentBlockParamUnion{OfText: &anthropic.TextBlockParam{Text: "and now", CacheControl: anthropic.NewCacheControlEphemeralParam()}}))
	u, _ := f.usage(t, turn)
	if u.CacheReadInputTokens < 1190 || u.CacheCreationInputTokens == 0 {
		t.Fatalf("next turn: %+v, want the system prefix read and the rest written", u)
	}
	// A different model has its own cache.
	other := turn
	other.Model = "claude-opus-4-5"
	if u, _ := f.usage(t, other); u.CacheReadInputTokens != 0 {
		t.Fatalf("other model: %+v, want a miss", u)
	}
}
