// Package ratelimit counts requests in fixed windows kept in the database, so every Ally
// instance sharing one PostgreSQL enforces the same limit.
package ratelimit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Rule is one limit: at most Max hits per Window.
type Rule struct {
	// Name identifies the limit, e.g. "login_ip"; it is part of the counter's key.
	Name   string
	Max    int
	Window time.Duration
}

// Limiter checks rules against counters in the database.
type Limiter struct {
	db *db.DB
	// key hashes subjects (IPs, emails) so the counters table holds no personal data.
	key []byte
	now func() time.Time
}

// New returns a limiter on d; key is a secret used to hash subjects.
func New(d *db.DB, key []byte) *Limiter {
	return &Limiter{db: d, key: key, now: time.Now}
}

// SetClock replaces the limiter's clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Allow counts one hit for subject under rule. When the limit is already used up it
// returns a rate_limited error carrying the seconds until the window ends (served as
// Retry-After). An empty subject is never limited.
func (l *Limiter) Allow(ctx context.Context, rule Rule, subject string) error {
	if subject == "" || rule.Max <= 0 {
		return nil
	}
	now := l.now()
	win := rule.Window.Milliseconds()
	start := now.UnixMilli() / win * win
	mac := hmac.New(sha256.New, l.key)
	fmt.Fprintf(mac, "%s\x00%s", rule.Name, subject)
	bucket := rule.Name + ":" + hex.EncodeToString(mac.Sum(nil))[:32]
	var hits int
	// One statement, atomic on both databases: a new window resets the count.
	err := l.db.W.QueryRowContext(ctx, `
		INSERT INTO rate_limits (bucket, window_start, hits, expires_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (bucket) DO UPDATE SET
			hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END,
			window_start = excluded.window_start,
			expires_at = excluded.expires_at
		RETURNING hits`, bucket, start, start+win).Scan(&hits)
	if err != nil {
		return fmt.Errorf("ratelimit: count %s: %w", rule.Name, err)
	}
	if hits <= rule.Max {
		return nil
	}
	wait := int(math.Ceil(float64(start+win-now.UnixMilli()) / 1000))
	e := errs.E(errs.RateLimited, "Too many attempts. Try again in %s.", humanWait(wait))
	e.Details = httpx.RetryAfter(wait)
	return e
}

// Purge deletes counters whose window has ended.
func (l *Limiter) Purge(ctx context.Context) (int64, error) {
	res, err := l.db.W.ExecContext(ctx, `DELETE FROM rate_limits WHERE expires_at < $1`, l.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("ratelimit: purge: %w", err)
	}
	return res.RowsAffected()
}

func humanWait(sec int) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%d seconds", max(sec, 1))
	case sec < 3600:
		return fmt.Sprintf("%d minutes", (sec+59)/60)
	default:
		return fmt.Sprintf("%d hours", (sec+3599)/3600)
	}
}
