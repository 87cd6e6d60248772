package chat

import (
	"context"
	"errors"
	"sync"
	"time"
)

// replyText is the text of a reply being generated, shared by the agent loop (which
// appends) and the flusher (which saves it in batches).
type replyText struct {
	mu     sync.Mutex
	b      []byte
	saved  int
	kickAt int
	// full is called when kickAt bytes are unsaved (the flusher saves at once).
	full func()
}

func newReplyText(kickAt int) *replyText {
	return &replyText{kickAt: kickAt}
}

func (t *replyText) setFull(fn func()) {
	t.mu.Lock()
	t.full = fn
	t.mu.Unlock()
}

func (t *replyText) append(s string) {
	t.mu.Lock()
	t.b = append(t.b, s...)
	var full func()
	if t.kickAt > 0 && len(t.b)-t.saved >= t.kickAt {
		full = t.full
	}
	t.mu.Unlock()
	if full != nil {
		full()
	}
}

func (t *replyText) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.b)
}

func (t *replyText) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// unsaved returns the text when some of it is not saved yet.
func (t *replyText) unsaved() (string, int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) == t.saved {
		return "", 0, false
	}
	return string(t.b), len(t.b), true
}

func (t *replyText) markSaved(n int) {
	t.mu.Lock()
	if n > t.saved {
		t.saved = n
	}
	t.mu.Unlock()
}

// startFlusher saves the reply's text every flush interval, or sooner when enough is
// unsaved, never once per token. A stop requested from another instance, seen at a save,
// stops the run. No goroutine waits between saves: a timer runs each save when it is due.
// The returned function stops the flusher and waits for a save in progress.
func (a *agentRun) startFlusher() func() {
	f := &flusher{a: a, every: a.s.cfg.ChatFlushInterval}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timer = time.AfterFunc(f.every, f.save)
	a.text.setFull(func() { f.timer.Reset(0) })
	return f.stop
}

// flusher saves a reply's text on a timer; mu makes saves one at a time.
type flusher struct {
	a       *agentRun
	every   time.Duration
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (f *flusher) save() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	a := f.a
	if content, n, ok := a.text.unsaved(); ok {
		ctx, cancel := context.WithTimeout(a.s.base, finishTimeout)
		stop, err := a.s.store.SaveReplyText(ctx, a.t.replyID, content, a.cur.snapshot(a))
		cancel()
		switch {
		case errors.Is(err, errReplyGone):
			a.rn.cancel(errReplyGone)
			f.stopped = true
			return
		case err != nil:
			a.s.logger.Warn("saving reply text failed", "message_id", a.t.replyID, "error", err)
		default:
			if stop {
				a.rn.cancel(errStopped)
			}
			a.text.markSaved(n)
		}
	}
	f.timer.Reset(f.every)
}

func (f *flusher) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	f.timer.Stop()
}
