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
	kick   chan struct{}
}

func newReplyText(kickAt int) *replyText {
	return &replyText{kickAt: kickAt, kick: make(chan struct{}, 1)}
}

func (t *replyText) append(s string) {
	t.mu.Lock()
	t.b = append(t.b, s...)
	full := t.kickAt > 0 && len(t.b)-t.saved >= t.kickAt
	t.mu.Unlock()
	if full {
		select {
		case t.kick <- struct{}{}:
		default:
		}
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
// stops the run. The returned function stops the flusher and waits for it.
func (a *agentRun) startFlusher() func() {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(a.s.cfg.ChatFlushInterval)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			case <-a.text.kick:
			}
			content, n, ok := a.text.unsaved()
			if !ok {
				continue
			}
			ctx, cancel := context.WithTimeout(a.s.base, finishTimeout)
			stop, err := a.s.store.SaveReplyText(ctx, a.t.replyID, content, a.cur.snapshot(a))
			cancel()
			switch {
			case errors.Is(err, errReplyGone):
				a.rn.cancel(errReplyGone)
				return
			case err != nil:
				a.s.logger.Warn("saving reply text failed", "message_id", a.t.replyID, "error", err)
				continue
			case stop:
				a.rn.cancel(errStopped)
			}
			a.text.markSaved(n)
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
