package llm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

var order = []llmtest.Provider{llmtest.Anthropic, llmtest.OpenAI, llmtest.Gemini}

func TestRouterFallsBackInOrder(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
	srv.Script(llmtest.OpenAI, llmtest.Reply{Status: 503})
	srv.Script(llmtest.Gemini, llmtest.Reply{Text: "Gemini here."})
	var asked []string
	req := hello()
	req.AllowFallback = func(p string) error { asked = append(asked, p); return nil }
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, order...)
	evs, res, err := run(t, r, req)
	if err != nil {
		t.Fatal(err)
	}
	if textOf(evs) != "Gemini here." || res.Provider != "gemini" || res.Model != "gemini-2.5-flash" || !res.Fallback {
		t.Fatalf("text %q from %s %s fallback=%v", textOf(evs), res.Provider, res.Model, res.Fallback)
	}
	if len(asked) != 2 || asked[0] != "openai" || asked[1] != "gemini" {
		t.Fatalf("fallback hook asked for %v", asked)
	}
	for _, p := range order {
		if n := len(srv.Requests(p)); n != 1 {
			t.Fatalf("%s got %d requests", p, n)
		}
	}
	for _, e := range evs {
		if e.Type == llm.EventError {
			t.Fatal("the caller saw an error event from a provider that was replaced")
		}
	}
}

func TestRouterFallbackRefused(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
	spent := errors.New("daily fallback allowance spent")
	req := hello()
	req.AllowFallback = func(string) error { return spent }
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, order...)
	evs, _, err := run(t, r, req)
	var refused *llm.FallbackRefusedError
	if !errors.As(err, &refused) || !errors.Is(err, spent) || refused.Provider != "openai" {
		t.Fatalf("err %v", err)
	}
	if llm.KindOf(err) != llm.KindTransient {
		t.Fatalf("the original 529 is not in the error chain: %v", err)
	}
	if len(evs) != 1 || evs[0].Type != llm.EventError {
		t.Fatalf("events %v", types(evs))
	}
	if len(srv.Requests(llmtest.OpenAI)) != 0 {
		t.Fatal("openai was called although fallback was refused")
	}
}

func TestRouterDoesNotFallBackOnRequestErrors(t *testing.T) {
	for _, reply := range []llmtest.Reply{
		{Status: 400, ErrorMessage: "messages.0: unexpected role"},
		{Status: 400, ErrorMessage: "prompt is too long: 300000 tokens > 200000 maximum"},
	} {
		srv := llmtest.Start(t)
		srv.Script(llmtest.Anthropic, reply)
		r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{MaxRetries: 2}, order...)
		_, _, err := run(t, r, hello())
		if k := llm.KindOf(err); k != llm.KindInvalid && k != llm.KindContextTooLong {
			t.Fatalf("err %v", err)
		}
		if len(srv.Requests(llmtest.Anthropic)) != 1 || len(srv.Requests(llmtest.OpenAI)) != 0 {
			t.Fatal("a request error was retried or sent elsewhere")
		}
	}
}

func TestRouterFallsBackOnAuthWithoutRetry(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 401})
	srv.Script(llmtest.OpenAI, llmtest.Reply{Text: "ok"})
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{MaxRetries: 3}, order...)
	_, res, err := run(t, r, hello())
	if err != nil || res.Provider != "openai" {
		t.Fatalf("%v %s", err, res.Provider)
	}
	if n := len(srv.Requests(llmtest.Anthropic)); n != 1 {
		t.Fatalf("a bad key was retried %d times", n-1)
	}
}

func TestRouterSurfacesFailureAfterFirstDelta(t *testing.T) {
	for _, reply := range []llmtest.Reply{
		{Text: "The answer is forty two", MidStreamError: true, FailAfter: 3},
		{Text: "The answer is forty two", Disconnect: true, DisconnectAfter: 3},
	} {
		srv := llmtest.Start(t)
		srv.Script(llmtest.Anthropic, reply)
		r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{MaxRetries: 2}, order...)
		evs, res, err := run(t, r, hello())
		if llm.KindOf(err) != llm.KindTransient {
			t.Fatalf("err %v", err)
		}
		if last := evs[len(evs)-1]; last.Type != llm.EventError || last.Err != err {
			t.Fatalf("last event %+v", last)
		}
		if textOf(evs) != "The answer is" || res.Message.Text() != "The answer is" || res.Provider != "anthropic" {
			t.Fatalf("partial reply %q / %q from %s", textOf(evs), res.Message.Text(), res.Provider)
		}
		if len(srv.Requests(llmtest.Anthropic)) != 1 || len(srv.Requests(llmtest.OpenAI)) != 0 {
			t.Fatal("the reply was restarted after text reached the caller")
		}
	}
}

func TestRouterRetriesBeforeFirstDeltaThenSucceeds(t *testing.T) {
	srv := llmtest.Start(t)
	// Fails after message_start (usage) but before any text: still invisible to the caller.
	srv.Script(llmtest.Anthropic, llmtest.Reply{Text: "x", MidStreamError: true, FailAfter: 0}, llmtest.Reply{Text: "Second try."})
	clock := llmtest.NewClock()
	// With no jitter the wait is half the base.
	r := newRouter(t, srv, clock, llm.RouterConfig{MaxRetries: 1, BackoffBase: time.Second, Jitter: func() float64 { return 0 }}, order...)
	go func() { clock.WaitArmed(t, time.Second/2); clock.Advance(time.Second / 2) }()
	evs, res, err := run(t, r, hello())
	if err != nil || textOf(evs) != "Second try." || res.Provider != "anthropic" || res.Fallback {
		t.Fatalf("%v %q %s", err, textOf(evs), res.Provider)
	}
	if len(srv.Requests(llmtest.Anthropic)) != 2 {
		t.Fatalf("%d requests", len(srv.Requests(llmtest.Anthropic)))
	}
}

func TestRouterHonoursRetryAfter(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 429, RetryAfter: "7"}, llmtest.Reply{Text: "After the wait."})
	clock := llmtest.NewClock()
	r := newRouter(t, srv, clock, llm.RouterConfig{MaxRetries: 1}, order...)
	done := make(chan error, 1)
	var res llm.Result
	go func() {
		var err error
		_, res, err = run(t, r, hello())
		done <- err
	}()
	clock.WaitArmed(t, 7*time.Second)
	if n := len(srv.Requests(llmtest.Anthropic)); n != 1 {
		t.Fatalf("retried before retry-after passed: %d requests", n)
	}
	clock.Advance(7 * time.Second)
	if err := <-done; err != nil || res.Message.Text() != "After the wait." || res.Provider != "anthropic" {
		t.Fatalf("%v %q %s", err, res.Message.Text(), res.Provider)
	}
}

func TestRouterBackoffIsJitteredExponential(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 500}, llmtest.Reply{Status: 500}, llmtest.Reply{Text: "ok"})
	clock := llmtest.NewClock()
	// Jitter 1 is the top of the range: base<<attempt exactly.
	r := newRouter(t, srv, clock, llm.RouterConfig{MaxRetries: 2, BackoffBase: time.Second, Jitter: func() float64 { return 0.999999999 }}, order...)
	done := make(chan error, 1)
	go func() { _, _, err := run(t, r, hello()); done <- err }()
	clock.WaitArmed(t, time.Second-1)
	clock.Advance(time.Second)
	clock.WaitArmed(t, 2*time.Second-1)
	clock.Advance(2 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRouterTimeouts(t *testing.T) {
	t.Run("first token", func(t *testing.T) {
		srv := llmtest.Start(t)
		srv.Script(llmtest.Anthropic, llmtest.Reply{Stall: true})
		srv.Script(llmtest.OpenAI, llmtest.Reply{Text: "OpenAI answers."})
		clock := llmtest.NewClock()
		r := newRouter(t, srv, clock, llm.RouterConfig{}, order...)
		done := make(chan llm.Result, 1)
		go func() { _, res, _ := run(t, r, hello()); done <- res }()
		clock.WaitArmed(t, firstTokenTimeout)
		clock.Advance(firstTokenTimeout)
		if res := <-done; res.Provider != "openai" || res.Message.Text() != "OpenAI answers." {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("connect", func(t *testing.T) {
		srv := llmtest.Start(t)
		srv.Script(llmtest.Anthropic, llmtest.Reply{StallBeforeHeaders: true})
		clock := llmtest.NewClock()
		r := newRouter(t, srv, clock, llm.RouterConfig{}, llmtest.Anthropic)
		done := make(chan error, 1)
		go func() { _, _, err := run(t, r, hello()); done <- err }()
		clock.WaitArmed(t, connectTimeout)
		clock.Advance(connectTimeout)
		err := <-done
		var te *llm.TimeoutError
		if !errors.As(err, &te) || te.Phase != "connect" || llm.KindOf(err) != llm.KindTransient {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("idle after first delta", func(t *testing.T) {
		srv := llmtest.Start(t)
		clock := llmtest.NewClock()
		// Anthropic sends its first word, then falls silent (a chunk delay of an hour).
		stall := llmtest.Start(t)
		stall.Script(llmtest.Anthropic, llmtest.Reply{Text: "Partial answer", ChunkDelay: time.Hour})
		r := llm.NewRouter(llm.RouterConfig{Clock: clock, ConnectTimeout: connectTimeout, FirstTokenTimeout: firstTokenTimeout, IdleTimeout: idleTimeout},
			newProvider(t, llmtest.Anthropic, stall.URL), newProvider(t, llmtest.OpenAI, srv.URL))
		turn := r.Stream(context.Background(), hello())
		defer turn.Close()
		if !turn.Next() || turn.Event().Type != llm.EventUsage {
			t.Fatalf("first event %v", turn.Event().Type)
		}
		if !turn.Next() || turn.Event().Text != "Partial" {
			t.Fatalf("second event %+v", turn.Event())
		}
		clock.WaitArmed(t, idleTimeout)
		clock.Advance(idleTimeout)
		for turn.Next() {
		}
		var te *llm.TimeoutError
		if !errors.As(turn.Err(), &te) || te.Phase != "idle" {
			t.Fatalf("err %v", turn.Err())
		}
		if len(srv.Requests(llmtest.OpenAI)) != 0 {
			t.Fatal("fell back after text reached the caller")
		}
	})
}

func TestRouterCircuitBreaker(t *testing.T) {
	srv := llmtest.Start(t)
	clock := llmtest.NewClock()
	r := newRouter(t, srv, clock, llm.RouterConfig{BreakerThreshold: 2, BreakerCooldown: time.Minute}, llmtest.Anthropic, llmtest.OpenAI)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 529}, llmtest.Reply{Status: 529})
	for range 2 {
		if _, res, err := run(t, r, hello()); err != nil || res.Provider != "openai" {
			t.Fatalf("%v %s", err, res.Provider)
		}
	}
	if s := r.BreakerStates()["anthropic"]; s != "open" {
		t.Fatalf("breaker %s after 2 failures", s)
	}
	// Open: anthropic is skipped without a request.
	if _, res, _ := run(t, r, hello()); res.Provider != "openai" || len(srv.Requests(llmtest.Anthropic)) != 2 {
		t.Fatalf("open breaker let a request through (%d)", len(srv.Requests(llmtest.Anthropic)))
	}
	// After the cooldown one probe goes through; it fails and the breaker reopens.
	clock.Advance(time.Minute)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 503})
	if _, res, _ := run(t, r, hello()); res.Provider != "openai" || len(srv.Requests(llmtest.Anthropic)) != 3 {
		t.Fatalf("probe: %s, %d requests", res.Provider, len(srv.Requests(llmtest.Anthropic)))
	}
	if s := r.BreakerStates()["anthropic"]; s != "open" {
		t.Fatalf("breaker %s after a failed probe", s)
	}
	run(t, r, hello())
	if len(srv.Requests(llmtest.Anthropic)) != 3 {
		t.Fatal("reopened breaker let a request through")
	}
	// Next probe succeeds: closed again, anthropic serves.
	clock.Advance(time.Minute)
	if _, res, err := run(t, r, hello()); err != nil || res.Provider != "anthropic" {
		t.Fatalf("%v %s", err, res.Provider)
	}
	if s := r.BreakerStates()["anthropic"]; s != "closed" {
		t.Fatalf("breaker %s after a successful probe", s)
	}
}

func TestRouterAllProvidersDown(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
	srv.Script(llmtest.OpenAI, llmtest.Reply{Status: 500})
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Anthropic, llmtest.OpenAI)
	_, _, err := run(t, r, hello())
	if e := asError(t, err); e.Provider != "openai" || e.Status != 500 {
		t.Fatalf("err %v", err)
	}
}

func TestRouterWithoutProviders(t *testing.T) {
	r := llm.NewRouter(llm.RouterConfig{})
	_, _, err := run(t, r, hello())
	if errs.CodeOf(err) != errs.NoProvider {
		t.Fatalf("err %v", err)
	}
}

func TestRouterStopsWhenCallerCancels(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Stall: true})
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{MaxRetries: 3}, order...)
	ctx, cancel := context.WithCancel(context.Background())
	turn := r.Stream(ctx, hello())
	defer turn.Close()
	go func() {
		for len(srv.Requests(llmtest.Anthropic)) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	for turn.Next() {
	}
	if llm.KindOf(turn.Err()) != llm.KindCanceled || len(srv.Requests(llmtest.OpenAI)) != 0 {
		t.Fatalf("err %v", turn.Err())
	}
}

func TestRouterUsesTierModel(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Anthropic)
	req := hello()
	req.Tier = llm.TierSmall
	_, res, err := run(t, r, req)
	if err != nil || res.Model != "claude-haiku-4-5" {
		t.Fatalf("%v %s", err, res.Model)
	}
	var body struct{ Model string }
	srv.Requests(llmtest.Anthropic)[0].JSON(&body)
	if body.Model != "claude-haiku-4-5" {
		t.Fatalf("sent model %q", body.Model)
	}
}

// Usage of a failed attempt must not be reported as the usage of the one that served.
func TestRouterDropsUsageOfFailedAttempt(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Text: "x", MidStreamError: true, Usage: llm.Usage{InputTokens: 999, CacheReadTokens: 500}})
	srv.Script(llmtest.OpenAI, llmtest.Reply{Text: "From OpenAI.", Usage: llm.Usage{InputTokens: 20, OutputTokens: 3}})
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, order...)
	evs, res, err := run(t, r, hello())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == llm.EventUsage && e.Usage.InputTokens == 999 {
			t.Fatal("the failed attempt's usage reached the caller")
		}
	}
	if res.Usage != (llm.Usage{InputTokens: 20, OutputTokens: 3}) {
		t.Fatalf("usage %+v", res.Usage)
	}
}

// The fallback hook (which spends the user's allowance) is asked only for a provider that
// will really be called, not for one skipped by its open breaker.
func TestRouterAsksFallbackHookOnlyForProvidersCalled(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
	srv.Script(llmtest.OpenAI, llmtest.Reply{Status: 500})
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{BreakerThreshold: 1, BreakerCooldown: time.Minute}, order...)
	var asked []string
	req := hello()
	req.AllowFallback = func(p string) error { asked = append(asked, p); return nil }
	if _, res, err := run(t, r, req); err != nil || res.Provider != "gemini" {
		t.Fatalf("%v %s", err, res.Provider)
	}
	asked = nil
	if _, res, err := run(t, r, req); err != nil || res.Provider != "gemini" {
		t.Fatalf("%v %s", err, res.Provider)
	}
	if len(asked) != 1 || asked[0] != "gemini" {
		t.Fatalf("asked for %v", asked)
	}
}

// A provider asking to wait longer than MaxRetryAfter is left for the next one at once.
func TestRouterFallsBackWhenRetryAfterIsTooLong(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 429, RetryAfter: "120"})
	clock := llmtest.NewClock()
	r := newRouter(t, srv, clock, llm.RouterConfig{MaxRetries: 2, MaxRetryAfter: 30 * time.Second}, order...)
	_, res, err := run(t, r, hello())
	if err != nil || res.Provider != "openai" || len(srv.Requests(llmtest.Anthropic)) != 1 {
		t.Fatalf("%v %s, %d anthropic requests", err, res.Provider, len(srv.Requests(llmtest.Anthropic)))
	}
}
