package usage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// Hold is one turn's reservation: its message and an estimate of the tokens it will use,
// counted against the day's token limit until the turn is settled.
type Hold struct {
	ConversationID string
	// MessageID is the reply the turn generates; it keys the reservation.
	MessageID string
	// Estimate is the tokens the turn is expected to count against the limit.
	Estimate int64
}

// PrepareTurn reads what reserving a turn of userID needs (their plan and timezone; loc
// nil: read it) and returns the reservation to make in tx, the caller's transaction that
// claims the conversation, so that a turn refused for any reason (another reply in
// progress, a limit) has touched no quota. The reservation counts one message and
// reserves h.Estimate tokens; over a limit it returns the quota_exceeded error of Reserve
// and tx must be rolled back. It reads nothing outside tx (on SQLite the transaction
// holds the only write connection).
//
// The token check counts the tokens reserved by turns in progress: with K concurrent
// turns, the first passes while the day is under its limit and the others pass only if
// the limit leaves room for the estimates before them, so only the last one to pass can
// overshoot (when its estimate holds).
func (s *Service) PrepareTurn(ctx context.Context, userID string, loc *time.Location) (func(context.Context, *sql.Tx, Hold) error, error) {
	plan, err := s.PlanFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	loc, err = s.location(ctx, userID, loc)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx *sql.Tx, h Hold) error {
		now := s.now()
		day := Day(now, loc)
		q, err := s.reserveIn(ctx, tx, plan.Limits, userID, day, now, 1, max(h.Estimate, 0), 0)
		if err != nil {
			return err
		}
		if !q.passed {
			return q.refusal(plan, 1, nextMidnight(now, loc))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_reservations (message_id, user_id, conversation_id, day, tokens, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, h.MessageID, userID, h.ConversationID, day, max(h.Estimate, 0), db.Millis(now)); err != nil {
			return fmt.Errorf("usage: reserve turn: %w", err)
		}
		return nil
	}, nil
}

// CheckTurnTokens is CheckTokens for a further model call of a held turn: the turn's own
// reservation does not count against it.
func (s *Service) CheckTurnTokens(ctx context.Context, userID, messageID string, loc *time.Location) error {
	plan, err := s.PlanFor(ctx, userID)
	if err != nil {
		return err
	}
	if plan.Limits.TokensPerDay == Unlimited {
		return nil
	}
	loc, err = s.location(ctx, userID, loc)
	if err != nil {
		return err
	}
	now := s.now()
	day := Day(now, loc)
	var q quota
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var own int64
		var heldDay string
		err := tx.QueryRowContext(ctx, `SELECT tokens, day FROM usage_reservations WHERE message_id = $1 AND user_id = $2`,
			messageID, userID).Scan(&own, &heldDay)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("usage: check tokens: %w", err)
		}
		if heldDay != day {
			own = 0 // reserved on a day that has ended: it counts there, not today
		}
		q, err = s.reserveIn(ctx, tx, plan.Limits, userID, day, now, 0, 0, own)
		return err
	})
	if err != nil || q.passed {
		return err
	}
	return q.refusal(plan, 0, nextMidnight(now, loc))
}

// Progress is the model call of a held turn as streamed so far.
type Progress struct {
	// Seq is the call's index in the turn, from 0 (Call.Seq of its Record).
	Seq                                  int
	Provider, Model                      string
	Fallback                             bool
	Input, Output, CacheRead, CacheWrite int64
}

// SaveProgress keeps the figures of the call in progress with the turn's reservation, in
// tx (the periodic save of the reply's text): if the turn is cut before the call is
// recorded, settling the reservation records these. A call already recorded is left
// alone.
func (s *Service) SaveProgress(ctx context.Context, tx *sql.Tx, messageID string, p Progress) error {
	if p.Provider == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE usage_reservations SET pending_call = $2, provider = $3, model = $4, fallback = $5,
		input_tokens = $6, output_tokens = $7, cache_read_tokens = $8, cache_write_tokens = $9, updated_at = $10
		WHERE message_id = $1 AND recorded_calls <= $2`,
		messageID, p.Seq, p.Provider, p.Model, p.Fallback, p.Input, p.Output, p.CacheRead, p.CacheWrite, db.Millis(s.now()))
	if err != nil {
		return fmt.Errorf("usage: save call progress: %w", err)
	}
	return nil
}

// SettleTurn ends a turn's reservation, in tx: its estimate leaves the day's reserved
// tokens, a call it still holds (cut by a stop or a crash before it was recorded) is
// recorded with its figures so far, and with giveBack the turn's message is given back (a
// reply that failed before producing anything). last, when set, is the turn's last call
// (a Held call), recorded with its final figures in the same statements: it supersedes
// the figures saved while it streamed. Settling is idempotent: a reservation settles
// once, whoever gets there first (the turn's end or the recovery); a turn settled by the
// recovery has its call counted there, and last is then not recorded again.
func (s *Service) SettleTurn(ctx context.Context, tx *sql.Tx, messageID string, giveBack bool, last *Call) error {
	var (
		userID, convID, day, provider, model string
		tokens, recorded, pending            int64
		fallback                             bool
		in, out, cr, cw                      int64
	)
	err := tx.QueryRowContext(ctx, `DELETE FROM usage_reservations WHERE message_id = $1
		RETURNING user_id, conversation_id, day, tokens, recorded_calls, pending_call, provider, model, fallback,
			input_tokens, output_tokens, cache_read_tokens, cache_write_tokens`, messageID).
		Scan(&userID, &convID, &day, &tokens, &recorded, &pending, &provider, &model, &fallback, &in, &out, &cr, &cw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("usage: settle turn: %w", err)
	}
	now := s.now()
	release := dayRelease{tokens: tokens}
	if giveBack {
		release.messages = 1
	}
	var c Call
	var at time.Time
	callDay := day
	switch {
	case last != nil && int64(last.Seq) >= recorded:
		if err := last.check(); err != nil {
			return err
		}
		loc, err := s.location(ctx, last.UserID, last.Loc)
		if err != nil {
			return err
		}
		c, at = *last, last.At
		if at.IsZero() {
			at = now
		}
		callDay = Day(at, loc)
	case pending >= recorded && pending >= 0 && provider != "":
		// The call counts on the day the turn was reserved on, like the turn's message.
		c, at = Call{UserID: userID, ConversationID: convID, MessageID: messageID, Provider: provider, Model: model,
			Fallback: fallback, Input: in, Output: out, CacheRead: cr, CacheWrite: cw}, now
	}
	if c.Provider != "" && callDay == day {
		// The call's totals and the release go to the same day: one statement.
		return s.recordIn(ctx, tx, c, day, at, release)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage_daily SET
		reserved_tokens = CASE WHEN reserved_tokens > $3 THEN reserved_tokens - $3 ELSE 0 END,
		messages = CASE WHEN messages >= $4 THEN messages - $4 ELSE 0 END, updated_at = $5
		WHERE user_id = $1 AND day = $2`, userID, day, release.tokens, release.messages, db.Millis(now)); err != nil {
		return fmt.Errorf("usage: settle turn: %w", err)
	}
	if c.Provider == "" {
		return nil
	}
	return s.recordIn(ctx, tx, c, callDay, at, dayRelease{})
}

// dayRelease is what a settled turn gives back to its day: its reserved tokens, and its
// message when the reply failed before producing anything.
type dayRelease struct{ tokens, messages int64 }

// MessageTotals returns what the ledger holds for one reply's model calls, in tx: after a
// turn is settled, the reply's usage as the user should see it (a reply cut by a crash
// has its cut call recorded only by the settlement, which the reply never saw).
func (s *Service) MessageTotals(ctx context.Context, tx *sql.Tx, messageID string) (Totals, error) {
	var t Totals
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
		COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), COALESCE(SUM(cost_micros), 0)
		FROM usage_events WHERE message_id = $1`, messageID).
		Scan(&t.Calls, &t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheWriteTokens, &t.CostMicros)
	if err != nil {
		return Totals{}, fmt.Errorf("usage: message totals: %w", err)
	}
	return t, nil
}

// ForgetConversation removes a deleted conversation from the ledger, in tx (the
// deletion's transaction): its running totals go, a reservation of a reply in progress
// there settles, and its model calls stay (they count
// for the day and the bill, and go by their own retention) without naming it or its
// messages. The day's totals are unchanged.
func (s *Service) ForgetConversation(ctx context.Context, tx *sql.Tx, userID, convID string) error {
	// A reply in progress there loses its message with the conversation: its reservation
	// settles now (recording its call so far), as no recovery will find it.
	rows, err := tx.QueryContext(ctx, `SELECT message_id FROM usage_reservations WHERE user_id = $1 AND conversation_id = $2`, userID, convID)
	if err != nil {
		return fmt.Errorf("usage: forget conversation: %w", err)
	}
	var held []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("usage: forget conversation: %w", err)
		}
		held = append(held, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage: forget conversation: %w", err)
	}
	for _, id := range held {
		if err := s.SettleTurn(ctx, tx, id, false, nil); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM usage_conversations WHERE user_id = $1 AND conversation_id = $2`, userID, convID); err != nil {
		return fmt.Errorf("usage: forget conversation: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage_events SET conversation_id = '', message_id = ''
		WHERE user_id = $1 AND conversation_id = $2`, userID, convID); err != nil {
		return fmt.Errorf("usage: forget conversation: %w", err)
	}
	return nil
}
