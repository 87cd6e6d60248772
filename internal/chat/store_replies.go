package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/db"
)

// errReplyGone reports that a reply being generated no longer exists as streaming (its
// conversation was deleted, or recovery marked it interrupted).
var errReplyGone = errors.New("chat: reply no longer in progress")

// SaveReplyText stores the text generated so far (a batch) and refreshes the reply's
// heartbeat; with a ledger, the model call in progress (call, when it has a provider)
// is kept with the turn's reservation in the same transaction. It reports whether a stop
// was requested (possibly on another instance).
func (s *Store) SaveReplyText(ctx context.Context, replyID, content string, call *ModelCall) (stopRequested bool, err error) {
	var stopAt sql.NullInt64
	// Periodic saves of many replies share commits (db.Tx groups concurrent writes).
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE messages SET content = $2, updated_at = $3
			WHERE id = $1 AND status = 'streaming' RETURNING stop_requested_at`, replyID, content, db.Millis(s.now())).Scan(&stopAt)
		if err != nil {
			return err
		}
		if s.ledger != nil && call != nil && call.Provider != "" {
			if err := s.ledger.SaveProgress(ctx, tx, *call); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, errReplyGone
	}
	if err != nil {
		return false, fmt.Errorf("chat: save reply text: %w", err)
	}
	s.notifyReply(replyID)
	return stopAt.Valid, nil
}

// AddStep stores a tool step of a reply with the text that preceded it.
func (s *Store) AddStep(ctx context.Context, userID, replyID, content string, st Step) error {
	now := db.Millis(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET content = $2, updated_at = $3 WHERE id = $1 AND status = 'streaming'`,
			replyID, content, now)
		if err != nil {
			return fmt.Errorf("chat: save step: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errReplyGone
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO message_steps (id, message_id, user_id, seq, round, text_offset,
			tool_call_id, tool_name, input, result, is_error, writes_memory, changes_data, undo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			newID(), replyID, userID, st.seq, st.round, st.textOffset, st.ToolCallID, st.Tool, st.Input, st.Result,
			st.IsError, st.WritesMemory, st.Change, string(st.Undo), now)
		if err != nil {
			return fmt.Errorf("chat: save step: %w", err)
		}
		return nil
	})
	if err == nil {
		s.notifyReply(replyID)
	}
	return err
}

// replyOutcome is the final state of a reply.
type replyOutcome struct {
	userID, convID, replyID string
	status                  string
	content                 string
	errCode, errMessage     string
	provider, model         string
	fallback                bool
	usage                   TokenTotals
	// giveBack returns the turn's message to the user's allowance (a reply that failed
	// before producing anything).
	giveBack bool
	// call is the turn's last model call, recorded in the ledger in the same transaction.
	call *ModelCall
	// titled reports that the conversation's title was not waiting for its first reply
	// when the turn began (it cannot start waiting while the turn holds it): the end asks
	// for no title, without a statement to find that out.
	titled bool
}

// FinishReply stores a reply's final state and releases its conversation. A reply that
// recovery already marked interrupted keeps that state.
func (s *Store) FinishReply(ctx context.Context, o replyOutcome) error {
	now := db.Millis(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE messages SET status = $2, content = $3, error_code = $4, error_message = $5,
			provider = $6, model = $7, fallback = $8, input_tokens = $9, output_tokens = $10, cache_read_tokens = $11,
			cache_write_tokens = $12, updated_at = $13 WHERE id = $1 AND status = 'streaming'`,
			o.replyID, o.status, o.content, o.errCode, o.errMessage, o.provider, o.model, o.fallback,
			o.usage.InputTokens, o.usage.OutputTokens, o.usage.CacheReadTokens, o.usage.CacheWriteTokens, now)
		if err != nil {
			return fmt.Errorf("chat: finish reply: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET updated_at = $3,
			active_reply_id = CASE WHEN active_reply_id = $4 THEN NULL ELSE active_reply_id END,
			input_tokens = input_tokens + $5, output_tokens = output_tokens + $6,
			cache_read_tokens = cache_read_tokens + $7, cache_write_tokens = cache_write_tokens + $8
			WHERE user_id = $1 AND id = $2`, o.userID, o.convID, now, o.replyID,
			o.usage.InputTokens, o.usage.OutputTokens, o.usage.CacheReadTokens, o.usage.CacheWriteTokens)
		if err != nil {
			return fmt.Errorf("chat: finish reply: %w", err)
		}
		if s.ledger != nil {
			if err := s.ledger.SettleTurn(ctx, tx, o.replyID, o.giveBack, o.call); err != nil {
				return err
			}
		}
		if o.status == StatusComplete && !o.titled {
			if err := s.queueTitle(ctx, tx, o.userID, o.convID); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.notifyReply(o.replyID)
	}
	return err
}

// AddConversationUsage adds the tokens of a model call to a conversation's totals.
func (s *Store) AddConversationUsage(ctx context.Context, userID, convID string, u TokenTotals) error {
	_, err := s.exec(ctx, `UPDATE conversations SET input_tokens = input_tokens + $3, output_tokens = output_tokens + $4,
		cache_read_tokens = cache_read_tokens + $5, cache_write_tokens = cache_write_tokens + $6
		WHERE user_id = $1 AND id = $2`, userID, convID, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens)
	if err != nil {
		return fmt.Errorf("chat: add conversation usage: %w", err)
	}
	return nil
}

// RequestStop asks the instance generating a reply to stop it. It returns the reply.
func (s *Store) RequestStop(ctx context.Context, userID, replyID string) (*Message, error) {
	m, err := s.Message(ctx, userID, replyID)
	if err != nil {
		return nil, err
	}
	if m.Status != StatusStreaming {
		return m, nil
	}
	if _, err := s.exec(ctx, `UPDATE messages SET stop_requested_at = $3 WHERE user_id = $1 AND id = $2 AND status = 'streaming'`,
		userID, replyID, db.Millis(s.now())); err != nil {
		return nil, fmt.Errorf("chat: request stop: %w", err)
	}
	return m, nil
}

// Heartbeat refreshes the replies this instance is generating, so other instances can
// tell them from replies whose instance died. It returns those whose stop was requested.
func (s *Store) Heartbeat(ctx context.Context, replyIDs []string) ([]string, error) {
	if len(replyIDs) == 0 {
		return nil, nil
	}
	s.writes.Add(1)
	args := []any{db.Millis(s.now())}
	for _, id := range replyIDs {
		args = append(args, id)
	}
	rows, err := s.db.W.QueryContext(ctx, `UPDATE messages SET updated_at = $1 WHERE status = 'streaming'
		AND id IN (`+inList(2, len(replyIDs))+`) RETURNING id, stop_requested_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("chat: heartbeat: %w", err)
	}
	defer rows.Close()
	var stop []string
	for rows.Next() {
		var id string
		var at sql.NullInt64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("chat: heartbeat: %w", err)
		}
		if at.Valid {
			stop = append(stop, id)
		}
	}
	return stop, rows.Err()
}

// interruptedMessage is what the user sees on a reply cut by a server stop.
const interruptedMessage = "The server stopped while this reply was being written; the text so far is kept. Regenerate to get a full reply."

// MarkInterrupted marks every reply still streaming whose heartbeat is older than
// staleBefore (all of them, with the zero time), or that one of instances generated, as
// interrupted, keeping its text, and
// releases their conversations. Their reservations are settled in the same transaction,
// so the tokens a cut reply consumed are recorded, once. It returns how many replies it
// marked.
func (s *Store) MarkInterrupted(ctx context.Context, staleBefore time.Time, instances ...string) (int64, error) {
	cutoff := int64(1 << 62)
	if !staleBefore.IsZero() {
		cutoff = db.Millis(staleBefore)
	}
	args := []any{cutoff, interruptedMessage, db.Millis(s.now())}
	mine := ""
	for _, id := range instances {
		if id != "" { // replies from before instances were recorded have none
			args = append(args, id)
		}
	}
	if len(args) > 3 {
		mine = ` OR instance_id IN (` + inList(4, len(args)-3) + `)`
	}
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE messages SET status = 'interrupted', error_code = 'interrupted',
			error_message = $2, updated_at = $3 WHERE status = 'streaming' AND (updated_at < $1`+mine+`) RETURNING id`, args...)
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return err
		}
		n = int64(len(ids))
		if n == 0 {
			// Nothing was cut: no conversation waits on a reply of these (this runs every
			// heartbeat, and freeing conversations reads all that have an active reply).
			return nil
		}
		if s.ledger != nil {
			for _, id := range ids {
				if err := s.ledger.SettleTurn(ctx, tx, id, false, nil); err != nil {
					return err
				}
				if err := s.takeLedgerUsage(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET active_reply_id = NULL WHERE active_reply_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = conversations.active_reply_id AND m.status = 'streaming')`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("chat: mark interrupted replies: %w", err)
	}
	return n, nil
}

// takeLedgerUsage gives a reply cut by a crash the usage the ledger holds for it, in tx
// (after its settlement recorded the cut call): the reply never reached FinishReply, so
// neither it nor its conversation's totals had counted its model calls.
func (s *Store) takeLedgerUsage(ctx context.Context, tx *sql.Tx, replyID string) error {
	u, err := s.ledger.TurnUsage(ctx, tx, replyID)
	if err != nil {
		return err
	}
	var userID, convID string
	if err := tx.QueryRowContext(ctx, `UPDATE messages SET input_tokens = $2, output_tokens = $3, cache_read_tokens = $4,
		cache_write_tokens = $5 WHERE id = $1 RETURNING user_id, conversation_id`,
		replyID, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens).Scan(&userID, &convID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE conversations SET input_tokens = input_tokens + $3, output_tokens = output_tokens + $4,
		cache_read_tokens = cache_read_tokens + $5, cache_write_tokens = cache_write_tokens + $6
		WHERE user_id = $1 AND id = $2`, userID, convID, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens)
	return err
}

// scanIDs reads a column of ids and closes rows.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SaveSummary stores a conversation's summary of its branch up to message throughID (at
// seq through).
func (s *Store) SaveSummary(ctx context.Context, userID, convID, summary string, through int64, throughID string) error {
	_, err := s.exec(ctx, `UPDATE conversations SET summary = $3, summary_through = $4, summary_through_id = $5 WHERE user_id = $1 AND id = $2`,
		userID, convID, summary, through, throughID)
	if err != nil {
		return fmt.Errorf("chat: save summary: %w", err)
	}
	return nil
}

// collapseSpace turns runs of white space into single spaces.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
