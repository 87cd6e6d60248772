package usage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// The limits a refusal can name.
const (
	LimitMessages = "messages_per_day"
	LimitTokens   = "tokens_per_day"
)

// UpgradeURL is where a user over a limit can choose a bigger plan.
const UpgradeURL = "/settings/billing"

// Reserve is called before each user turn: it counts one message against today's
// allowance and checks the token allowance, both in one conditional update, so two
// concurrent sends at the limit cannot both pass. Over a limit it returns a
// quota_exceeded error whose details say which limit, the plan, when it resets (the
// user's next local midnight) and where to upgrade. loc is the user's timezone (nil: read
// it).
func (s *Service) Reserve(ctx context.Context, userID string, loc *time.Location) error {
	return s.reserve(ctx, userID, loc, 1)
}

// CheckTokens is called before each further model call of a turn (the agent loop's next
// step): it checks the token allowance without counting another message. A turn under
// the limit when it starts may finish past it by its own replies, never by more.
func (s *Service) CheckTokens(ctx context.Context, userID string, loc *time.Location) error {
	return s.reserve(ctx, userID, loc, 0)
}

func (s *Service) reserve(ctx context.Context, userID string, loc *time.Location, messages int64) error {
	plan, err := s.PlanFor(ctx, userID)
	if err != nil {
		return err
	}
	loc, err = s.location(ctx, userID, loc)
	if err != nil {
		return err
	}
	now := s.now()
	var q quota
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		q, err = s.reserveIn(ctx, tx, plan.Limits, userID, Day(now, loc), now, messages, 0, 0)
		return err
	})
	if err != nil || q.passed {
		return err
	}
	return q.refusal(plan, messages, nextMidnight(now, loc))
}

// quota is the outcome of a conditional reservation.
type quota struct {
	passed       bool
	usedMessages int64
}

// refusal is the quota_exceeded error of a reservation that did not pass.
func (q quota) refusal(plan Plan, messages int64, reset time.Time) error {
	which := LimitTokens
	if plan.Limits.MessagesPerDay != Unlimited && q.usedMessages+messages > plan.Limits.MessagesPerDay {
		which = LimitMessages
	}
	return quotaError(plan, which, reset)
}

// reserveIn counts messages and reserves tokens on the user's day if the limits allow, in
// tx. The token check is on what the day has used and reserved, less own (the caller's
// own reservation, which must not refuse its own turn): a turn may start while the day is
// under its limit, and then counts its estimate against the turns after it.
func (s *Service) reserveIn(ctx context.Context, tx *sql.Tx, lim Limits, userID, day string, now time.Time, messages, tokens, own int64) (quota, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily (user_id, day, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, day) DO NOTHING`, userID, day, db.Millis(now)); err != nil {
		return quota{}, fmt.Errorf("usage: reserve: %w", err)
	}
	// The WHERE clause is the check: on PostgreSQL a concurrent reservation waits for
	// this row and re-evaluates it after this one commits. Reservations live in the same
	// row for that reason.
	res, err := tx.ExecContext(ctx, `UPDATE usage_daily SET messages = messages + $3, reserved_tokens = reserved_tokens + $7, updated_at = $4
		WHERE user_id = $1 AND day = $2
		  AND (CAST($5 AS BIGINT) < 0 OR messages + $3 <= CAST($5 AS BIGINT))
		  AND (CAST($6 AS BIGINT) < 0 OR input_tokens + output_tokens + cache_write_tokens + reserved_tokens - $8 < CAST($6 AS BIGINT))`,
		userID, day, messages, db.Millis(now), lim.MessagesPerDay, lim.TokensPerDay, tokens, own)
	if err != nil {
		return quota{}, fmt.Errorf("usage: reserve: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return quota{}, fmt.Errorf("usage: reserve: %w", err)
	}
	if n == 1 {
		return quota{passed: true}, nil
	}
	var q quota
	if err := tx.QueryRowContext(ctx, `SELECT messages FROM usage_daily WHERE user_id = $1 AND day = $2`, userID, day).Scan(&q.usedMessages); err != nil {
		return quota{}, fmt.Errorf("usage: reserve: %w", err)
	}
	return q, nil
}

// Release gives back a message reserved today by Reserve, for a turn that ended before
// any model call (no provider, a refused input), so a failure of ours does not cost the
// user their allowance.
func (s *Service) Release(ctx context.Context, userID string, loc *time.Location) error {
	loc, err := s.location(ctx, userID, loc)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE usage_daily SET messages = messages - 1, updated_at = $3
			WHERE user_id = $1 AND day = $2 AND messages > 0`, userID, Day(now, loc), db.Millis(now))
		if err != nil {
			return fmt.Errorf("usage: release: %w", err)
		}
		return nil
	})
}

func quotaError(plan Plan, which string, reset time.Time) error {
	what := "messages"
	if which == LimitTokens {
		what = "tokens"
	}
	e := errs.E(errs.QuotaExceeded, "You have used today's %s on the %s plan. The allowance resets at %s; upgrade for more.",
		what, plan.Name, reset.Format("15:04 MST"))
	e.Details = map[string]any{
		"limit":       which,
		"plan":        plan.ID,
		"reset_at":    reset.Format(time.RFC3339),
		"upgrade_url": UpgradeURL,
	}
	return e
}

// FallbackAllowed reports whether the user's plan leaves room today for another call to a
// fallback provider (Record counts those calls).
func (s *Service) FallbackAllowed(ctx context.Context, userID string, loc *time.Location) (bool, error) {
	plan, err := s.PlanFor(ctx, userID)
	if err != nil {
		return false, err
	}
	if plan.Limits.FallbackPerDay == Unlimited {
		return true, nil
	}
	loc, err = s.location(ctx, userID, loc)
	if err != nil {
		return false, err
	}
	var used int64
	err = s.db.R.QueryRowContext(ctx, `SELECT fallback_calls FROM usage_daily WHERE user_id = $1 AND day = $2`,
		userID, Day(s.now(), loc)).Scan(&used)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("usage: fallback allowance: %w", err)
	}
	return used < plan.Limits.FallbackPerDay, nil
}
