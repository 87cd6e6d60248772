package llm

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"myally.app/ally/internal/errs"
)

// RouterConfig tunes the router. Zero durations take the defaults noted.
type RouterConfig struct {
	// ConnectTimeout bounds the wait until a provider accepted the request (10s).
	ConnectTimeout time.Duration
	// FirstTokenTimeout bounds the wait from acceptance to the first event (60s).
	FirstTokenTimeout time.Duration
	// IdleTimeout bounds the gap between two events (60s).
	IdleTimeout time.Duration
	// MaxRetries is how many times a transient failure is retried on the same provider
	// before the next one is tried.
	MaxRetries int
	// BackoffBase and BackoffMax shape the jittered exponential backoff (500ms, 8s).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryAfter is the longest retry-after the router waits for; a provider asking
	// for more is skipped for the next one (30s).
	MaxRetryAfter time.Duration
	// BreakerThreshold consecutive failures open a provider's breaker (5), for
	// BreakerCooldown (30s) before a probe request is let through.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// Clock defaults to the system clock; Jitter (a value in [0,1)) to math/rand.
	Clock  Clock
	Jitter func() float64
	Logger *slog.Logger
}

func (c *RouterConfig) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ConnectTimeout, 10*time.Second)
	def(&c.FirstTokenTimeout, 60*time.Second)
	def(&c.IdleTimeout, 60*time.Second)
	def(&c.BackoffBase, 500*time.Millisecond)
	def(&c.BackoffMax, 8*time.Second)
	def(&c.MaxRetryAfter, 30*time.Second)
	def(&c.BreakerCooldown, 30*time.Second)
	if c.BreakerThreshold <= 0 {
		c.BreakerThreshold = 5
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Router sends each request to the first available provider in the configured order,
// with timeouts, retries, a circuit breaker per provider and fallback.
type Router struct {
	cfg    RouterConfig
	routes []route
}

type route struct {
	p  Provider
	br *breaker
}

// NewRouter returns a router over providers, tried in the order given.
func NewRouter(cfg RouterConfig, providers ...Provider) *Router {
	cfg.setDefaults()
	r := &Router{cfg: cfg}
	for _, p := range providers {
		r.routes = append(r.routes, route{p: p, br: &breaker{threshold: cfg.BreakerThreshold, cooldown: cfg.BreakerCooldown}})
	}
	return r
}

// Providers returns the names of the providers in order.
func (r *Router) Providers() []string {
	out := make([]string, len(r.routes))
	for i, rt := range r.routes {
		out[i] = rt.p.Name()
	}
	return out
}

// BreakerStates returns each provider's breaker state ("closed", "open", "half_open").
func (r *Router) BreakerStates() map[string]string {
	now := r.cfg.Clock.Now()
	out := make(map[string]string, len(r.routes))
	for _, rt := range r.routes {
		out[rt.p.Name()] = rt.br.stateName(now)
	}
	return out
}

// ErrNoProvider is returned when no provider is configured.
var ErrNoProvider = errs.E(errs.NoProvider, "No model provider is configured.")

// Stream starts a streamed turn. It returns at once; the first Next makes the call.
// Close the turn when done with it.
func (r *Router) Stream(ctx context.Context, req *Request) *Turn {
	ctx, cancel := context.WithCancel(ctx)
	return &Turn{r: r, ctx: ctx, cancel: cancel, req: req}
}

// Complete runs a turn to its end and returns the result (for callers that do not
// stream, like summaries).
func (r *Router) Complete(ctx context.Context, req *Request) (Result, error) {
	t := r.Stream(ctx, req)
	defer t.Close()
	for t.Next() {
	}
	return t.Result(), t.Err()
}

// backoff returns the wait before retry number attempt (0-based): the provider's
// retry-after when given, else exponential with equal jitter.
func (r *Router) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := r.cfg.BackoffBase << attempt
	if d > r.cfg.BackoffMax || d <= 0 {
		d = r.cfg.BackoffMax
	}
	return d/2 + time.Duration(r.cfg.Jitter()*float64(d/2))
}
