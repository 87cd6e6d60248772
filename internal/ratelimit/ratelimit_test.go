package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/ratelimit"
)

// TestFixedWindow: Max hits pass, the next is refused with the wait until the window ends,
// subjects and rules count apart, a new window starts afresh, and expired counters are
// purged. No subject is stored in the clear.
func TestFixedWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := ratelimit.New(d, []byte("key"))
		now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		l.SetClock(func() time.Time { return now })
		rule := ratelimit.Rule{Name: "test", Max: 3, Window: time.Minute}
		for i := range 3 {
			if err := l.Allow(ctx, rule, "203.0.113.5"); err != nil {
				t.Fatalf("hit %d: %v", i, err)
			}
		}
		now = now.Add(20 * time.Second)
		err := l.Allow(ctx, rule, "203.0.113.5")
		e, ok := errs.As(err)
		if !ok || e.Code != errs.RateLimited || e.Details["retry_after_seconds"] != 40 {
			t.Fatalf("4th hit: %v %+v", err, e)
		}
		if err := l.Allow(ctx, rule, "198.51.100.7"); err != nil {
			t.Fatalf("another subject was limited: %v", err)
		}
		if err := l.Allow(ctx, ratelimit.Rule{Name: "other", Max: 1, Window: time.Minute}, "203.0.113.5"); err != nil {
			t.Fatalf("another rule was limited: %v", err)
		}
		if err := l.Allow(ctx, rule, ""); err != nil {
			t.Fatalf("an empty subject was limited: %v", err)
		}
		var leaked int
		_ = d.R.QueryRow(`SELECT COUNT(*) FROM rate_limits WHERE bucket LIKE '%203.0.113.5%'`).Scan(&leaked)
		if leaked != 0 {
			t.Fatal("a subject is stored in the clear")
		}
		now = now.Add(40 * time.Second)
		if err := l.Allow(ctx, rule, "203.0.113.5"); err != nil {
			t.Fatalf("new window: %v", err)
		}
		now = now.Add(2 * time.Minute)
		n, err := l.Purge(ctx)
		if err != nil || n != 3 {
			t.Fatalf("purged %d, %v; want 3", n, err)
		}
	})
}
