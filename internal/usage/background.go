package usage

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// PurposeNightlyReview labels the nightly analysis's model calls in the ledger.
const PurposeNightlyReview = "nightly_review"

// PurposeTitle labels the small model's calls that title a conversation after its first
// exchange.
const PurposeTitle = "conversation_title"

// BackgroundCall is a model call Ally made for a user on its own initiative (the nightly
// review): recorded in the ledger under the user's id, so their usage page shows it with
// its label, but outside the daily totals that the plan's quota counts.
type BackgroundCall struct {
	UserID, Purpose, Provider, Model     string
	Input, Output, CacheRead, CacheWrite int64
	// Batch marks a call made through a batch API, priced at half (Anthropic Message
	// Batches).
	Batch bool
	// Day is the user's local date the call counts for; At when it was made.
	Day string
	At  time.Time
}

// BackgroundCost is the estimated cost of a background call, in millionths of a dollar.
func (s *Service) BackgroundCost(c BackgroundCall) int64 {
	price, _ := s.prices.Lookup(c.Model)
	cost := price.CostMicros(c.Input, c.Output, c.CacheRead, c.CacheWrite)
	if c.Batch {
		cost /= 2
	}
	return cost
}

// RecordBackground stores a background call in the ledger (usage_events with its purpose).
func (s *Service) RecordBackground(ctx context.Context, c BackgroundCall) error {
	if c.UserID == "" || c.Purpose == "" || c.Provider == "" || c.Model == "" || c.Day == "" {
		return fmt.Errorf("usage: record background: user, purpose, provider, model and day are required")
	}
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.db.Exec(ctx, `INSERT INTO usage_events (id, user_id, conversation_id, message_id, provider, model, fallback,
			input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, day, created_at, purpose)
			VALUES ($1, $2, '', '', $3, $4, FALSE, $5, $6, $7, $8, $9, $10, $11, $12)`,
		rand.Text(), c.UserID, c.Provider, c.Model, c.Input, c.Output, c.CacheRead, c.CacheWrite,
		s.BackgroundCost(c), c.Day, db.Millis(at), c.Purpose)
	if err != nil {
		return fmt.Errorf("usage: record background: %w", err)
	}
	return nil
}

// BackgroundUsage is one purpose's background usage in a report's range.
type BackgroundUsage struct {
	// Label says what it was for ("nightly review").
	Purpose string `json:"purpose"`
	Label   string `json:"label"`
	Totals
	CostUSD float64 `json:"cost_usd"`
}

var purposeLabels = map[string]string{PurposeNightlyReview: "nightly review", PurposeTitle: "conversation titles"}

// background sums the user's background usage per purpose over local dates from..to.
func (s *Service) background(ctx context.Context, userID, from, to string) ([]BackgroundUsage, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT purpose, COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
			COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), COALESCE(SUM(cost_micros), 0)
		FROM usage_events WHERE user_id = $1 AND purpose <> '' AND day >= $2 AND day <= $3 GROUP BY purpose ORDER BY purpose`,
		userID, from, to)
	if err != nil {
		return nil, fmt.Errorf("usage: background usage: %w", err)
	}
	defer rows.Close()
	out := []BackgroundUsage{}
	for rows.Next() {
		var b BackgroundUsage
		if err := rows.Scan(&b.Purpose, &b.Calls, &b.InputTokens, &b.OutputTokens, &b.CacheReadTokens, &b.CacheWriteTokens, &b.CostMicros); err != nil {
			return nil, fmt.Errorf("usage: background usage: %w", err)
		}
		b.Label = purposeLabels[b.Purpose]
		if b.Label == "" {
			b.Label = b.Purpose
		}
		b.CostUSD = b.Totals.CostUSD()
		out = append(out, b)
	}
	return out, rows.Err()
}

// NightCost is the background usage of one purpose on one local date, over all users.
type NightCost struct {
	Day   string
	Users int64
	Totals
}

// BackgroundByDay sums a purpose's usage per local date over all users, newest first
// (the operator's cost per night; no user is named).
func (s *Service) BackgroundByDay(ctx context.Context, purpose string, days int) ([]NightCost, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT day, COUNT(DISTINCT user_id), COUNT(*), COALESCE(SUM(input_tokens), 0),
			COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_micros), 0)
		FROM usage_events WHERE purpose = $1 GROUP BY day ORDER BY day DESC LIMIT $2`, purpose, days)
	if err != nil {
		return nil, fmt.Errorf("usage: background by day: %w", err)
	}
	defer rows.Close()
	var out []NightCost
	for rows.Next() {
		var n NightCost
		if err := rows.Scan(&n.Day, &n.Users, &n.Calls, &n.InputTokens, &n.OutputTokens, &n.CostMicros); err != nil {
			return nil, fmt.Errorf("usage: background by day: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
