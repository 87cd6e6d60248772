package llmtest

import (
	"sort"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/llm"
)

// Clock is a fake llm.Clock: time moves only when the test calls Advance.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewClock returns a fake clock set to a fixed instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
}

type fakeTimer struct {
	c      *Clock
	d      time.Duration
	at     time.Time
	f      func()
	active bool
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arms a timer that fires when Advance passes its deadline.
func (c *Clock) AfterFunc(d time.Duration, f func()) llm.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, d: d, at: c.now.Add(d), f: f, active: true}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active, t.d, t.at = true, d, t.c.now.Add(d)
	if !was {
		t.c.timers = append(t.c.timers, t)
	}
	return was
}

// Advance moves time forward by d and fires the timers that fall due, in order.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case !t.active:
		case !t.at.After(c.now):
			t.active = false
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// Armed returns the durations of the active timers.
func (c *Clock) Armed() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if t.active {
			out = append(out, t.d)
		}
	}
	return out
}

// WaitArmed waits (polling, up to 10 seconds of real time) until a timer of duration d
// is active, so a test advances time only once the code under test is waiting on it.
func (c *Clock) WaitArmed(t testing.TB, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range c.Armed() {
			if a == d {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no timer of %s was armed; armed: %v", d, c.Armed())
}
