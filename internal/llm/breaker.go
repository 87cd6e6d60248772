package llm

import (
	"sync"
	"time"
)

// breakerState is the state of a circuit breaker.
type breakerState uint8

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

// breaker stops sending requests to a provider that keeps failing: after threshold
// consecutive failures it opens for cooldown; then one probe request is let through
// (half-open), whose outcome closes or reopens it.
type breaker struct {
	mu        sync.Mutex
	threshold int
	cooldown  time.Duration
	state     breakerState
	failures  int
	openedAt  time.Time
	probing   bool
}

// allow reports whether a request may go to the provider now, and whether it is the
// half-open probe (whose outcome must be reported, or released if abandoned).
func (b *breaker) allow(now time.Time) (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		if now.Sub(b.openedAt) < b.cooldown {
			return false, false
		}
		b.state = breakerHalfOpen
		b.probing = true
		return true, true
	case breakerHalfOpen:
		if b.probing {
			return false, false
		}
		b.probing = true
		return true, true
	}
	return true, false
}

// success closes the breaker.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state, b.failures, b.probing = breakerClosed, 0, false
}

// failure counts a failure; it opens the breaker at the threshold, or at once after a
// failed probe.
func (b *breaker) failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.state == breakerHalfOpen || b.failures >= b.threshold {
		b.state, b.openedAt, b.probing = breakerOpen, now, false
	}
}

// release gives back an abandoned probe, so the next request probes instead.
func (b *breaker) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// stateName names the state: "closed", "open" or "half_open".
func (b *breaker) stateName(now time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.state == breakerOpen && now.Sub(b.openedAt) < b.cooldown:
		return "open"
	case b.state == breakerClosed:
		return "closed"
	}
	return "half_open"
}
