package llm

import (
	"context"
	"errors"
	"sync/atomic"
)

// Result is the outcome of a turn: the assistant message (partial if the turn failed
// mid-stream), why it stopped, its usage, and who served it.
type Result struct {
	Message    Message
	StopReason StopReason
	Usage      Usage
	Provider   string
	Model      string
	// Fallback is true when a provider other than the first configured one served it.
	Fallback bool
}

// FallbackRefusedError reports that Request.AllowFallback refused a fallback. Err is
// the failure of the provider the router wanted to fall back from.
type FallbackRefusedError struct {
	Provider string
	Reason   error
	Err      error
}

func (e *FallbackRefusedError) Error() string {
	return "fallback to " + e.Provider + " refused: " + e.Reason.Error() + "; after: " + e.Err.Error()
}

// Unwrap returns both the refusal and the original failure.
func (e *FallbackRefusedError) Unwrap() []error { return []error{e.Reason, e.Err} }

// The watchdog phases.
const (
	phaseConnect int32 = iota
	phaseFirstToken
	phaseIdle
)

// Turn is one streamed model call through the router. Read it like an SDK stream:
//
//	for t.Next() { ev := t.Event() }
//	res, err := t.Result(), t.Err()
//
// Until the first delta (text or tool call) has been returned by Next, a failing provider
// is retried and then replaced by the next one, invisibly to the caller. After it, a
// failure ends the turn with an EventError: the reply is never silently restarted.
type Turn struct {
	r      *Router
	ctx    context.Context
	cancel context.CancelFunc
	req    *Request

	idx     int // current provider
	attempt int // retries done on it
	lastErr error

	cur       Stream
	curCancel context.CancelCauseFunc
	watch     Timer
	phase     atomic.Int32
	probe     bool

	committed bool
	held      Event // latest usage event, held back until the first delta
	hasHeld   bool
	next      Event // an event to return after ev
	hasNext   bool

	ev   Event
	err  error
	done bool
	acc  accumulator
	res  Result
}

// Next advances to the next event, making and remaking the call as needed.
func (t *Turn) Next() bool {
	if t.hasNext {
		t.ev, t.hasNext = t.next, false
		return true
	}
	for !t.done {
		if t.cur == nil && !t.open() {
			return t.fail(t.err)
		}
		if t.cur.Next() {
			ev := t.cur.Event()
			t.phase.Store(phaseIdle)
			t.watch.Reset(t.r.cfg.IdleTimeout)
			if ev.Type == EventUsage {
				t.res.Usage = ev.Usage
				if !t.committed {
					t.held, t.hasHeld = ev, true
					continue
				}
			}
			t.acc.add(&ev)
			if ev.Type == EventStop {
				t.complete(ev.StopReason)
			}
			t.ev = ev
			if !t.committed {
				// The first delta: from now on this provider owns the reply. The usage
				// held back so far goes out first.
				t.committed = true
				if t.hasHeld {
					t.next, t.hasNext = ev, true
					t.ev, t.hasHeld = t.held, false
				}
			}
			return true
		}
		err := t.cur.Err()
		t.closeCur()
		if err == nil {
			err = &Error{Provider: t.res.Provider, Kind: KindTransient, Type: "connection", Err: errors.New("stream ended early")}
		}
		t.recordFailure(err)
		if t.committed {
			return t.fail(err)
		}
		t.decide(err)
	}
	return false
}

// complete ends a turn whose reply arrived whole.
func (t *Turn) complete(reason StopReason) {
	t.res.StopReason = reason
	t.r.routes[t.idx].br.success()
	t.probe = false
	t.closeCur()
	t.done = true
}

// open starts a call on the current provider, or the next available one; it returns
// false with t.err set when no provider is left.
func (t *Turn) open() bool {
	routes := t.r.routes
	if len(routes) == 0 {
		t.err = ErrNoProvider
		return false
	}
	for t.idx < len(routes) {
		if t.err != nil {
			return false
		}
		rt := routes[t.idx]
		ok, probe := rt.br.allow(t.r.cfg.Clock.Now())
		if !ok {
			t.lastErr = &Error{Provider: rt.p.Name(), Kind: KindTransient, Type: "circuit_open", Err: errors.New("circuit breaker is open")}
			t.idx, t.attempt = t.idx+1, 0
			continue
		}
		// The hook is asked only for a provider that would really be called.
		if t.idx > 0 && t.attempt == 0 && t.req.AllowFallback != nil {
			if reason := t.req.AllowFallback(rt.p.Name()); reason != nil {
				if probe {
					rt.br.release()
				}
				t.err = &FallbackRefusedError{Provider: rt.p.Name(), Reason: reason, Err: t.lastErr}
				return false
			}
		}
		t.probe = probe
		model := rt.p.Model(t.req.Tier)
		ctx, cancel := context.WithCancelCause(t.ctx)
		t.phase.Store(phaseConnect)
		t.startWatch(cancel)
		s, err := rt.p.Open(ctx, model, t.req)
		if err == nil {
			t.cur, t.curCancel = s, cancel
			// Usage held back from a failed attempt is not this attempt's.
			t.hasHeld, t.res.Usage = false, Usage{}
			t.res.Provider, t.res.Model, t.res.Fallback = rt.p.Name(), model, t.idx > 0
			t.phase.Store(phaseFirstToken)
			t.watch.Reset(t.r.cfg.FirstTokenTimeout)
			return true
		}
		t.watch.Stop()
		cancel(nil)
		t.recordFailure(err)
		t.decide(err)
	}
	if t.err == nil {
		t.err = t.lastErr
	}
	return false
}

// startWatch arms the watchdog of a new attempt: it cancels that attempt's context when
// the current phase times out. Each attempt has its own timer, so a late timer of an
// earlier attempt cannot cancel a later one; Next re-arms it as events arrive.
func (t *Turn) startWatch(cancel context.CancelCauseFunc) {
	t.watch = t.r.cfg.Clock.AfterFunc(t.r.cfg.ConnectTimeout, func() { t.onTimeout(cancel) })
}

func (t *Turn) onTimeout(cancel context.CancelCauseFunc) {
	cfg := &t.r.cfg
	te := &TimeoutError{Phase: "idle", After: cfg.IdleTimeout}
	switch t.phase.Load() {
	case phaseConnect:
		te.Phase, te.After = "connect", cfg.ConnectTimeout
	case phaseFirstToken:
		te.Phase, te.After = "first_token", cfg.FirstTokenTimeout
	}
	cancel(te)
}

// recordFailure tells the breaker and the log about a failed call.
func (t *Turn) recordFailure(err error) {
	rt := t.r.routes[t.idx]
	var e *Error
	errors.As(err, &e)
	switch {
	case e == nil || e.Kind == KindCanceled:
		if t.probe {
			rt.br.release()
		}
	case e.Kind == KindTransient || e.Kind == KindAuth:
		rt.br.failure(t.r.cfg.Clock.Now())
	default:
		// The provider answered, if only to refuse the request: it is up.
		rt.br.success()
	}
	t.probe = false
	if e != nil && e.Kind != KindCanceled {
		t.r.cfg.Logger.Warn("model provider call failed", "provider", e.Provider, "kind", e.Kind.String(),
			"status", e.Status, "error_type", e.Type, "attempt", t.attempt+1, "committed", t.committed)
	}
}

// decide picks what follows a failure before the first delta: a retry after backoff,
// the next provider, or the end (t.err set).
func (t *Turn) decide(err error) {
	t.lastErr = err
	switch KindOf(err) {
	case KindTransient:
		var e *Error
		errors.As(err, &e)
		if t.attempt < t.r.cfg.MaxRetries && e.RetryAfter <= t.r.cfg.MaxRetryAfter {
			if serr := sleep(t.ctx, t.r.cfg.Clock, t.r.backoff(t.attempt, e.RetryAfter)); serr != nil {
				t.err = &Error{Provider: e.Provider, Kind: KindCanceled, Err: serr}
				return
			}
			t.attempt++
			return
		}
		t.idx, t.attempt = t.idx+1, 0
	case KindAuth:
		t.idx, t.attempt = t.idx+1, 0
	default:
		t.err = err
	}
}

// fail ends the turn with err, as a final EventError.
func (t *Turn) fail(err error) bool {
	t.done = true
	t.err = err
	t.ev = Event{Type: EventError, Err: err}
	return true
}

func (t *Turn) closeCur() {
	if t.watch != nil {
		t.watch.Stop()
	}
	if t.cur != nil {
		t.cur.Close()
		t.curCancel(nil)
		t.cur = nil
	}
}

// Event returns the current event.
func (t *Turn) Event() Event { return t.ev }

// Err returns the error that ended the turn, nil after a complete reply.
func (t *Turn) Err() error { return t.err }

// Result returns the reply so far: complete once Next has returned false without error.
func (t *Turn) Result() Result {
	r := t.res
	r.Message = t.acc.message()
	return r
}

// Close ends the turn, abandoning the call if it is still running (a stopped reply).
func (t *Turn) Close() error {
	if t.probe && t.idx < len(t.r.routes) {
		t.r.routes[t.idx].br.release()
		t.probe = false
	}
	t.closeCur()
	t.done = true
	t.cancel()
	return nil
}
