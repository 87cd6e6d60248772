// Package usage records what every model call cost (CHAT-6), keeps totals per
// conversation and per user per local day, and enforces the plan limits before each turn
// (CHAT-8, BILL-1): reservations are conditional updates, so concurrent sends at the limit
// cannot both pass.
package usage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Service enforces plans and records usage.
type Service struct {
	db     *db.DB
	plans  Plans
	prices Prices
	now    func() time.Time
	// Logger receives operational warnings (a model without a price); never content.
	Logger *slog.Logger
	// Timezones gives users' timezones (the accounts service); unset, every user's day is
	// the UTC day.
	Timezones Timezones
	// Subscriptions gives the plan a user pays for (billing); unset, or when it names
	// none, the plan is the users.plan column (the default plan unless an operator set
	// another).
	Subscriptions Subscriptions
}

// Subscriptions gives the id of the plan a user's subscription entitles them to, or ""
// for none. Usage asks it; it never reads billing's tables.
type Subscriptions interface {
	SubscribedPlan(ctx context.Context, userID string) (string, error)
}

// Timezones gives a user's timezone (UTC when unknown; not_found for no such user).
type Timezones interface {
	UserLocation(ctx context.Context, userID string) (*time.Location, error)
}

// NewService returns a Service on d with the configured plans and prices; now is the
// clock (time.Now in production).
func NewService(d *db.DB, plans Plans, prices Prices, now func() time.Time) *Service {
	if len(plans) == 0 {
		plans = DefaultPlans()
	}
	if prices == nil {
		prices = DefaultPrices()
	}
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, plans: plans, prices: prices, now: now, Logger: slog.New(slog.DiscardHandler)}
}

// Plans returns the configured plans.
func (s *Service) Plans() Plans { return s.plans }

// PlanFor returns the plan the user is on.
func (s *Service) PlanFor(ctx context.Context, userID string) (Plan, error) {
	var id string
	err := s.db.R.QueryRowContext(ctx, `SELECT plan FROM users WHERE id = $1`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Plan{}, errs.NotFoundf("no such user")
	}
	if err != nil {
		return Plan{}, fmt.Errorf("usage: read plan: %w", err)
	}
	if s.Subscriptions != nil {
		sub, err := s.Subscriptions.SubscribedPlan(ctx, userID)
		if err != nil {
			return Plan{}, fmt.Errorf("usage: subscribed plan: %w", err)
		}
		if sub != "" {
			id = sub
		}
	}
	return s.plans.Get(id), nil
}

// Location returns the user's timezone, from Timezones (UTC when it is unset).
func (s *Service) Location(ctx context.Context, userID string) (*time.Location, error) {
	if s.Timezones == nil {
		return time.UTC, nil
	}
	return s.Timezones.UserLocation(ctx, userID)
}

// location returns loc, or the user's own when loc is nil.
func (s *Service) location(ctx context.Context, userID string, loc *time.Location) (*time.Location, error) {
	if loc != nil {
		return loc, nil
	}
	return s.Location(ctx, userID)
}

// Day returns the local date of t in loc, the key of the daily totals.
func Day(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// nextMidnight returns the start of the local day after t's, when daily limits reset.
func nextMidnight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

// Totals are token counts and cost summed over some calls.
type Totals struct {
	Calls            int64 `json:"model_calls"`
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
	CostMicros       int64 `json:"cost_micros"`
}

// CostUSD returns the cost in dollars.
func (t Totals) CostUSD() float64 { return float64(t.CostMicros) / 1e6 }

// LimitedTokens are the tokens that count against a plan's daily token limit: input,
// output and cache writes. Cache reads cost a tenth of input and are not counted, so a
// long cached prompt does not eat the allowance.
func (t Totals) LimitedTokens() int64 { return t.InputTokens + t.OutputTokens + t.CacheWriteTokens }

// ConversationTotals returns the usage of one of the user's conversations (zero when it
// made no model calls).
func (s *Service) ConversationTotals(ctx context.Context, userID, conversationID string) (Totals, error) {
	var t Totals
	err := s.db.R.QueryRowContext(ctx, `SELECT model_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros
		FROM usage_conversations WHERE user_id = $1 AND conversation_id = $2`, userID, conversationID).
		Scan(&t.Calls, &t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheWriteTokens, &t.CostMicros)
	if errors.Is(err, sql.ErrNoRows) {
		return Totals{}, nil
	}
	if err != nil {
		return Totals{}, fmt.Errorf("usage: conversation totals: %w", err)
	}
	return t, nil
}
