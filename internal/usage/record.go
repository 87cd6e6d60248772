package usage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// Call is one model call to record.
type Call struct {
	UserID, ConversationID, MessageID string
	Provider, Model                   string
	// Fallback marks a call served by a fallback provider; it counts against the plan's
	// daily fallback allowance.
	Fallback                             bool
	Input, Output, CacheRead, CacheWrite int64
	// CacheWrite1h is the part of CacheWrite written to Anthropic's 1-hour cache, which
	// costs twice the input price rather than the (5-minute) cache-write price.
	CacheWrite1h int64
	// At is when the call was made (default: now); Loc is the user's timezone, which
	// decides the day it counts for (nil: read it).
	At  time.Time
	Loc *time.Location
	// Held marks the Seq-th call (from 0) of a turn holding a reservation (ReserveTurn,
	// keyed by MessageID): recording it takes its figures out of the reservation.
	Held bool
	Seq  int
}

// Record stores one ledger row for the call with its estimated cost and adds it to the
// user's totals for the local day and to the conversation's totals, in one transaction.
func (s *Service) Record(ctx context.Context, c Call) error {
	// The timezone is read before the transaction, not while it holds the writer.
	loc, err := s.location(ctx, c.UserID, c.Loc)
	if err != nil {
		return err
	}
	c.Loc = loc
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return s.recordTx(ctx, tx, c) })
}

// recordTx is Record's work in tx. (A turn's last call is recorded by SettleTurn, with
// the reply's final state.)
func (s *Service) recordTx(ctx context.Context, tx *sql.Tx, c Call) error {
	if err := c.check(); err != nil {
		return err
	}
	loc, err := s.location(ctx, c.UserID, c.Loc)
	if err != nil {
		return err
	}
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	if c.Held {
		// The call of a turn holding a reservation: its figures so far leave the
		// reservation in the same transaction, so a call is counted exactly once
		// even if the turn is cut right after.
		res, err := tx.ExecContext(ctx, `UPDATE usage_reservations SET recorded_calls = $2 + 1, pending_call = -1,
			provider = '', model = '', fallback = FALSE, input_tokens = 0, output_tokens = 0,
			cache_read_tokens = 0, cache_write_tokens = 0, updated_at = $3
			WHERE message_id = $1 AND recorded_calls <= $2`, c.MessageID, c.Seq, db.Millis(at))
		if err != nil {
			return fmt.Errorf("usage: record call: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already settled, with this call in it
		}
	}
	return s.recordIn(ctx, tx, c, Day(at, loc), at, dayRelease{})
}

// check refuses a call that cannot be recorded.
func (c Call) check() error {
	if c.UserID == "" || c.Provider == "" || c.Model == "" {
		return fmt.Errorf("usage: record: user, provider and model are required")
	}
	if c.Input < 0 || c.Output < 0 || c.CacheRead < 0 || c.CacheWrite < 0 {
		return fmt.Errorf("usage: record: negative token count")
	}
	return nil
}

// recordIn stores the ledger row of c and adds it to the totals of day, in tx, releasing
// rel from the day (a settled turn's reservation) in the same statement.
func (s *Service) recordIn(ctx context.Context, tx *sql.Tx, c Call, day string, at time.Time, rel dayRelease) error {
	price, ok := s.prices.Lookup(c.Model)
	if !ok {
		s.Logger.Warn("no price for model; its cost is recorded as zero (set ALLY_MODEL_PRICES)", "model", c.Model, "provider", c.Provider)
	}
	cost := price.CostMicros(c.Input, c.Output, c.CacheRead, c.CacheWrite) + price.LongWriteExtraMicros(min(c.CacheWrite1h, c.CacheWrite))
	fallback := int64(0)
	if c.Fallback {
		fallback = 1
	}
	ms := db.Millis(at)
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_events (id, user_id, conversation_id, message_id, provider, model, fallback,
			input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, day, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		rand.Text(), c.UserID, c.ConversationID, c.MessageID, c.Provider, c.Model, c.Fallback,
		c.Input, c.Output, c.CacheRead, c.CacheWrite, cost, day, ms); err != nil {
		return fmt.Errorf("usage: record call: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily (user_id, day, model_calls, fallback_calls,
			input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, updated_at)
			VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (user_id, day) DO UPDATE SET
				reserved_tokens = CASE WHEN usage_daily.reserved_tokens > $10 THEN usage_daily.reserved_tokens - $10 ELSE 0 END,
				messages = CASE WHEN usage_daily.messages >= $11 THEN usage_daily.messages - $11 ELSE 0 END,
				model_calls = usage_daily.model_calls + 1,
				fallback_calls = usage_daily.fallback_calls + excluded.fallback_calls,
				input_tokens = usage_daily.input_tokens + excluded.input_tokens,
				output_tokens = usage_daily.output_tokens + excluded.output_tokens,
				cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens,
				cache_write_tokens = usage_daily.cache_write_tokens + excluded.cache_write_tokens,
				cost_micros = usage_daily.cost_micros + excluded.cost_micros,
				updated_at = excluded.updated_at`,
		c.UserID, day, fallback, c.Input, c.Output, c.CacheRead, c.CacheWrite, cost, ms, rel.tokens, rel.messages); err != nil {
		return fmt.Errorf("usage: add to daily totals: %w", err)
	}
	if c.ConversationID == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_conversations (user_id, conversation_id, model_calls,
			input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, updated_at)
			VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id, conversation_id) DO UPDATE SET
				model_calls = usage_conversations.model_calls + 1,
				input_tokens = usage_conversations.input_tokens + excluded.input_tokens,
				output_tokens = usage_conversations.output_tokens + excluded.output_tokens,
				cache_read_tokens = usage_conversations.cache_read_tokens + excluded.cache_read_tokens,
				cache_write_tokens = usage_conversations.cache_write_tokens + excluded.cache_write_tokens,
				cost_micros = usage_conversations.cost_micros + excluded.cost_micros,
				updated_at = excluded.updated_at`,
		c.UserID, c.ConversationID, c.Input, c.Output, c.CacheRead, c.CacheWrite, cost, ms); err != nil {
		return fmt.Errorf("usage: add to conversation totals: %w", err)
	}
	return nil
}
