package usage

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
)

// fixedClock is a settable clock.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func newUser(t *testing.T, d *db.DB, id, plan, tz string) string {
	t.Helper()
	_, err := d.W.ExecContext(context.Background(), `INSERT INTO users (id, email, name, plan, timezone, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 1, 1)`, id, id+"@example.com", id, plan, tz)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// usersTimezones stands in for the accounts service: it reads the timezone newUser stored.
type usersTimezones struct{ d *db.DB }

func (z usersTimezones) UserLocation(ctx context.Context, userID string) (*time.Location, error) {
	var name string
	if err := z.d.R.QueryRowContext(ctx, `SELECT timezone FROM users WHERE id = $1`, userID).Scan(&name); err != nil {
		return nil, err
	}
	return time.LoadLocation(name)
}

// newTestService is the service under test, with users' timezones as newUser stored them.
func newTestService(d *db.DB, clk *fixedClock) *Service {
	s := NewService(d, testPlans(), nil, clk.now)
	s.Timezones = usersTimezones{d}
	return s
}

func testPlans() Plans {
	ps, err := ParsePlans(`[
		{"id": "free", "name": "Free", "limits": {"messages_per_day": 3, "tokens_per_day": 1000, "fallback_per_day": 2}},
		{"id": "big", "name": "Big", "limits": {}}
	]`)
	if err != nil {
		panic(err)
	}
	return ps
}

func TestReserveEnforcesMessagesPerDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		berlin, _ := time.LoadLocation("Europe/Berlin")
		clk := &fixedClock{t: time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)} // 23:30 in Berlin
		s := newTestService(d, clk)
		u := newUser(t, d, "u1", "free", "Europe/Berlin")
		for i := range 3 {
			if err := s.Reserve(ctx, u, nil); err != nil {
				t.Fatalf("message %d refused: %v", i+1, err)
			}
		}
		err := s.Reserve(ctx, u, nil)
		e, ok := errs.As(err)
		if !ok || e.Code != errs.QuotaExceeded {
			t.Fatalf("4th message: %v", err)
		}
		want := map[string]any{"limit": LimitMessages, "plan": "free", "reset_at": "2026-12-01T00:00:00+01:00", "upgrade_url": "/settings/billing"}
		for k, v := range want {
			if e.Details[k] != v {
				t.Errorf("details[%s] = %v, want %v", k, e.Details[k], v)
			}
		}
		// A released reservation can be used again.
		if err := s.Release(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Reserve(ctx, u, nil); err != nil {
			t.Fatalf("after a release: %v", err)
		}
		if err := s.Reserve(ctx, u, nil); !errs.Is(err, errs.QuotaExceeded) {
			t.Fatalf("over the limit again: %v", err)
		}
		// Half an hour later it is a new day in Berlin (still the same day in UTC).
		clk.set(time.Date(2026, 11, 30, 23, 5, 0, 0, time.UTC))
		if err := s.Reserve(ctx, u, berlin); err != nil {
			t.Fatalf("after local midnight: %v", err)
		}
		// A plan without limits never refuses.
		big := newUser(t, d, "u2", "big", "UTC")
		for range 10 {
			if err := s.Reserve(ctx, big, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestReserveEnforcesTokensPerDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := &fixedClock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		s := newTestService(d, clk)
		u := newUser(t, d, "u1", "free", "UTC")
		if err := s.Reserve(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		// Cache reads do not count against the limit; input, output and cache writes do.
		if err := s.Record(ctx, Call{UserID: u, Provider: "anthropic", Model: "claude-sonnet-4-5", Input: 400, Output: 300, CacheRead: 50_000, CacheWrite: 299}); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckTokens(ctx, u, nil); err != nil {
			t.Fatalf("999 of 1000 tokens used, next step refused: %v", err)
		}
		if err := s.Record(ctx, Call{UserID: u, Provider: "anthropic", Model: "claude-sonnet-4-5", Output: 1}); err != nil {
			t.Fatal(err)
		}
		for _, check := range []func(context.Context, string, *time.Location) error{s.CheckTokens, s.Reserve} {
			err := check(ctx, u, nil)
			if e, ok := errs.As(err); !ok || e.Code != errs.QuotaExceeded || e.Details["limit"] != LimitTokens {
				t.Fatalf("at the token limit: %v", err)
			}
		}
		// CheckTokens did not count messages: one was reserved.
		var messages int64
		_ = d.R.QueryRow(`SELECT messages FROM usage_daily WHERE user_id = $1`, u).Scan(&messages)
		if messages != 1 {
			t.Fatalf("messages counted %d, want 1", messages)
		}
	})
}

// TestReserveRace sends many reservations at once with room for exactly one: exactly one
// passes, on both databases.
func TestReserveRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := &fixedClock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		s := newTestService(d, clk)
		for round := range 5 {
			u := newUser(t, d, "race"+string(rune('a'+round)), "free", "UTC")
			for range 2 {
				if err := s.Reserve(ctx, u, time.UTC); err != nil {
					t.Fatal(err)
				}
			}
			const n = 8
			var wg sync.WaitGroup
			results := make(chan error, n)
			start := make(chan struct{})
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results <- s.Reserve(ctx, u, time.UTC)
				}()
			}
			close(start)
			wg.Wait()
			close(results)
			passed := 0
			for err := range results {
				switch {
				case err == nil:
					passed++
				case !errs.Is(err, errs.QuotaExceeded):
					t.Fatalf("unexpected error: %v", err)
				}
			}
			if passed != 1 {
				t.Fatalf("round %d: %d of %d concurrent reservations passed with room for one", round, passed, n)
			}
		}
	})
}

func TestRecordTotalsAndFallback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := &fixedClock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		s := newTestService(d, clk)
		u := newUser(t, d, "u1", "free", "UTC")
		calls := []Call{
			{UserID: u, ConversationID: "c1", MessageID: "m1", Provider: "anthropic", Model: "claude-sonnet-4-5-20250929", Input: 1000, Output: 500, CacheRead: 10_000, CacheWrite: 2000},
			{UserID: u, ConversationID: "c1", MessageID: "m2", Provider: "openai", Model: "gpt-4o-mini", Fallback: true, Input: 100, Output: 10},
			{UserID: u, ConversationID: "c2", MessageID: "m3", Provider: "gemini", Model: "gemini-2.5-flash", Fallback: true, Input: 7, Output: 3},
		}
		for _, c := range calls {
			if err := s.Record(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ConversationTotals(ctx, u, "c1")
		if err != nil {
			t.Fatal(err)
		}
		// 1000×3 + 500×15 + 10000×0.3 + 2000×3.75 = 21000 micro-dollars; 100×0.15 + 10×0.6 = 21.
		want := Totals{Calls: 2, InputTokens: 1100, OutputTokens: 510, CacheReadTokens: 10_000, CacheWriteTokens: 2000, CostMicros: 21_021}
		if got != want {
			t.Fatalf("conversation totals %+v, want %+v", got, want)
		}
		if other, _ := s.ConversationTotals(ctx, "someone-else", "c1"); other != (Totals{}) {
			t.Fatalf("another user sees totals %+v", other)
		}
		// Two fallback calls used the allowance of two.
		if ok, err := s.FallbackAllowed(ctx, u, nil); err != nil || ok {
			t.Fatalf("fallback allowed after 2 of 2: %v %v", ok, err)
		}
		clk.set(clk.now().Add(24 * time.Hour))
		if ok, err := s.FallbackAllowed(ctx, u, nil); err != nil || !ok {
			t.Fatalf("fallback refused on a new day: %v %v", ok, err)
		}
	})
}

func TestCost(t *testing.T) {
	prices, err := ParsePrices(`{"my-model": {"input": 0.075, "output": 0.3, "cache_read": 0.01875, "cache_write": 0}}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		model                string
		in, out, read, write int64
		micros               int64
		priced               bool
	}{
		{"claude-sonnet-4-5", 1_000_000, 0, 0, 0, 3_000_000, true},
		{"claude-sonnet-4-5-20250929", 0, 1_000_000, 0, 0, 15_000_000, true},
		{"claude-haiku-4-5", 1, 1, 1, 1, 7, true},                     // 1 + 5 + 0.1 + 1.25 = 7.35 µ$
		{"claude-opus-4-5-20251101", 1000, 0, 0, 0, 5000, true},       // not the older opus-4 price
		{"gpt-4o-mini-2024-07-18", 1_000_000, 0, 0, 0, 150_000, true}, // not gpt-4o
		{"gemini-2.5-flash-lite", 0, 10, 0, 0, 4, true},
		{"my-model", 3, 3, 4, 0, 1, true}, // 0.225 + 0.9 + 0.075 = 1.2 µ$: exact sum, rounded once
		{"unknown-model", 1000, 1000, 0, 0, 0, false},
	}
	for _, tt := range tests {
		p, ok := prices.Lookup(tt.model)
		if got := p.CostMicros(tt.in, tt.out, tt.read, tt.write); got != tt.micros || ok != tt.priced {
			t.Errorf("%s: cost %d priced %v, want %d %v", tt.model, got, ok, tt.micros, tt.priced)
		}
	}
	if p, _ := prices.Lookup("claude-sonnet-4-5"); p.Input != 3 {
		t.Error("ALLY_MODEL_PRICES replaced the defaults instead of adding to them")
	}
}

func TestParsePlans(t *testing.T) {
	ps, err := ParsePlans("")
	if err != nil || ps.Default().ID != "free" {
		t.Fatalf("defaults: %v %v", ps, err)
	}
	ps, err = ParsePlans(`[{"id":"basic","limits":{"tokens_per_day":10,"min_task_interval":"30m","fallback_per_day":0}},{"id":"free","name":"Gratis"}]`)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Default().Name != "Gratis" || ps.Get("gone").ID != "free" {
		t.Fatalf("default plan: %+v", ps)
	}
	b := ps.Get("basic")
	if b.Name != "basic" || b.Limits.TokensPerDay != 10 || b.Limits.MessagesPerDay != Unlimited || b.Limits.FallbackPerDay != 0 || b.Limits.MinTaskInterval != 30*time.Minute {
		t.Fatalf("basic plan: %+v", b)
	}
	if ps.Get("free").Limits.TokensPerDay != Unlimited {
		t.Fatal("a plan without limits must be unlimited")
	}
	for _, bad := range []string{`{}`, `[]`, `[{"id":""}]`, `[{"id":"A"}]`, `[{"id":"a"},{"id":"a"}]`,
		`[{"id":"a","limits":{"tokens_per_day":-5}}]`, `[{"id":"a","limits":{"min_task_interval":"soon"}}]`,
		`[{"id":"a","limits":{"tokens_per_dya":5}}]`, `[{"id":"a","limits":{"memory_total_bytes":0}}]`, `[{"id":"a","price":"x"}]`} {
		if _, err := ParsePlans(bad); err == nil {
			t.Errorf("ParsePlans(%s) accepted", bad)
		}
	}
	if _, err := ParsePrices(`{"m": {"input": -1}}`); err == nil {
		t.Error("negative price accepted")
	}
}

func TestBadPlansStopTheConfiguration(t *testing.T) {
	for env, raw := range map[string]string{"ALLY_PLANS": `[{"id":"x","limits":{"tokens_per_day":"lots"}}]`, "ALLY_MODEL_PRICES": `{"m": 3}`} {
		_, err := config.Load(func(k string) string {
			if k == env {
				return raw
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%s: want an error naming the variable, got %v", env, raw, err)
		}
	}
}
