package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm"
)

// turnKind is how a turn begins.
type turnKind int

const (
	// turnSend adds a new user message.
	turnSend turnKind = iota
	// turnRegenerate replaces the last reply.
	turnRegenerate
	// turnEdit changes the last user message and replaces the reply that followed it.
	turnEdit
)

// turnInput describes a turn to begin.
type turnInput struct {
	kind    turnKind
	userID  string
	convID  string
	content string
	// editID is the user message to change (turnEdit).
	editID string
	// reserve, when set, reserves the turn's allowance once the conversation is claimed.
	reserve ReserveFunc
}

// turn is a begun turn: the user message it answers and the reply being generated.
type turn struct {
	conv    *Conversation
	user    *Message
	replyID string
}

// errBusy is returned when the conversation already has a reply in progress.
var errBusy = errs.E(errs.Conflict, "a reply is already being generated in this conversation; wait for it or stop it")

// BeginTurn durably stores the user's side of a turn and an empty assistant reply in
// status streaming, all in one transaction, and claims the conversation for that reply:
// a conversation has at most one reply in progress, across all instances. A turn reads the
// conversation: its unread mark goes.
func (s *Store) BeginTurn(ctx context.Context, in turnInput) (*turn, error) {
	now := db.Millis(s.now())
	t := &turn{replyID: newID()}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		title := ""
		if in.kind == turnSend {
			title = autoTitle(in.content)
		}
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET active_reply_id = $3, updated_at = $4, unread_at = NULL,
			title = CASE WHEN title = '' THEN $5 ELSE title END
			WHERE user_id = $1 AND id = $2 AND active_reply_id IS NULL`, in.userID, in.convID, t.replyID, now, title)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE user_id = $1 AND id = $2`, in.userID, in.convID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return errs.NotFoundf("conversation not found")
			}
			return errBusy
		}
		last, err := lastMessages(ctx, tx, in.userID, in.convID)
		if err != nil {
			return err
		}
		if in.reserve != nil {
			// Only a turn that has claimed its conversation reserves quota, in the same
			// transaction: a refused send (busy, over a limit) changes nothing.
			if err := in.reserve(ctx, tx, TurnHold{ConversationID: in.convID, ReplyID: t.replyID, Estimate: estimateTurn(in, last)}); err != nil {
				return err
			}
		}
		var seq int64
		switch in.kind {
		case turnSend:
			seq = 1
			if len(last) > 0 {
				seq = last[0].seq + 1
			}
			t.user = &Message{ID: newID(), ConversationID: in.convID, Role: RoleUser, Content: in.content, Status: StatusComplete, seq: seq}
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'user', $5, 'complete', $6, $6)`, t.user.ID, in.convID, in.userID, seq, in.content, now); err != nil {
				return err
			}
		case turnRegenerate:
			u := lastUser(last)
			if u == nil {
				return errs.E(errs.Conflict, "there is no message to answer yet")
			}
			t.user = u
		case turnEdit:
			u := lastUser(last)
			if u == nil || u.ID != in.editID {
				return errs.E(errs.Conflict, "only your last message can be edited")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET content = $3, updated_at = $4 WHERE user_id = $1 AND id = $2`,
				in.userID, u.ID, in.content, now); err != nil {
				return err
			}
			u.Content = in.content
			t.user = u
		}
		if in.kind != turnSend {
			// The replies after the user message are replaced by the new one.
			if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE user_id = $1 AND conversation_id = $2 AND seq > $3`,
				in.userID, in.convID, t.user.seq); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, instance_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'assistant', '', 'streaming', $6, $5, $5)`, t.replyID, in.convID, in.userID, t.user.seq+1, now, s.instance)
		if err != nil {
			return err
		}
		t.conv, err = scanConversation(tx.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = $1`, in.convID))
		return err
	})
	if err != nil {
		if _, ok := errs.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("chat: begin turn: %w", err)
	}
	t.user.userID, t.user.Steps = in.userID, []Step{}
	return t, nil
}

// estimateTurn is the tokens a turn is expected to count against the daily limit, reserved
// while it runs: the context of the previous reply (what it read and wrote, which the next
// call reads again), the new message at about four characters a token, and the most one
// model call may write (llm.DefaultMaxTokens). It errs on the high side: a turn of
// several tool steps reads its context again for each.
func estimateTurn(in turnInput, last []*Message) int64 {
	n := int64(llm.DefaultMaxTokens) + textTokens(len(in.content))
	for _, m := range last {
		if m.Role == RoleAssistant {
			n += m.Usage.InputTokens + m.Usage.CacheWriteTokens + m.Usage.OutputTokens
			break
		}
	}
	return n
}

// textTokens is the tokens of n bytes of text, at four bytes a token (rounded up):
// the figure used where a provider's own count is not known (a call cut by a stop or a
// crash before its final usage).
func textTokens(n int) int64 { return int64((n + 3) / 4) }

// lastMessages returns the last two messages of a conversation, newest first.
func lastMessages(ctx context.Context, tx *sql.Tx, userID, convID string) ([]*Message, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE user_id = $1 AND conversation_id = $2
		ORDER BY seq DESC LIMIT 2`, userID, convID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// lastUser returns the latest user message among the last messages, if the conversation
// ends with it or with its reply.
func lastUser(last []*Message) *Message {
	for _, m := range last {
		if m.Role == RoleUser {
			return m
		}
	}
	return nil
}

// autoTitle names a new conversation after the start of its first message.
func autoTitle(content string) string {
	t := []rune(collapseSpace(content))
	if len(t) > 60 {
		return string(t[:57]) + "…"
	}
	return string(t)
}
