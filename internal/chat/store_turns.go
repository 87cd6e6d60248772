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
	// turnSend adds a new user message at the end of the branch shown.
	turnSend turnKind = iota
	// turnRegenerate adds another reply (a version) to a user message; the earlier
	// replies stay.
	turnRegenerate
	// turnEdit adds a changed version of a user message beside it (a fork) and answers it;
	// the earlier version and what followed it stay.
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
	// answerID is the user message to answer again (turnRegenerate); empty: the last user
	// message of the branch shown.
	answerID string
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
// a conversation has at most one reply in progress, across all instances. The new reply
// ends the branch shown. A turn reads the conversation: its unread mark goes.
func (s *Store) BeginTurn(ctx context.Context, in turnInput) (*turn, error) {
	now := db.Millis(s.now())
	t := &turn{replyID: newID()}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		title := ""
		if in.kind == turnSend {
			title = autoTitle(in.content)
		}
		// The claim returns the branch's end and the last sequence number, in the same
		// round trip.
		var leafID string
		var seq int64
		err := tx.QueryRowContext(ctx, `UPDATE conversations SET active_reply_id = $3, updated_at = $4, unread_at = NULL,
			title = CASE WHEN title = '' THEN $5 ELSE title END,
			title_source = CASE WHEN title = '' AND $5 <> '' THEN 'auto' ELSE title_source END
			WHERE user_id = $1 AND id = $2 AND active_reply_id IS NULL
			RETURNING COALESCE(leaf_id, ''), COALESCE((SELECT MAX(m.seq) FROM messages m WHERE m.conversation_id = $2), 0)`,
			in.userID, in.convID, t.replyID, now, title).Scan(&leafID, &seq)
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE user_id = $1 AND id = $2`, in.userID, in.convID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return errs.NotFoundf("conversation not found")
			}
			return errBusy
		}
		if err != nil {
			return err
		}
		var leaf *Message
		if leafID != "" {
			if leaf, err = messageTx(ctx, tx, in.userID, leafID); err != nil {
				return err
			}
		}
		if in.reserve != nil {
			// Only a turn that has claimed its conversation reserves quota, in the same
			// transaction: a refused send (busy, over a limit) changes nothing.
			if err := in.reserve(ctx, tx, TurnHold{ConversationID: in.convID, ReplyID: t.replyID, Estimate: estimateTurn(in, leaf)}); err != nil {
				return err
			}
		}
		insertUser := func(parentID string) error {
			seq++
			t.user = &Message{ID: newID(), ConversationID: in.convID, ParentID: parentID, Role: RoleUser, Content: in.content, Status: StatusComplete, seq: seq}
			_, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, parent_id, seq, role, content, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, 'user', $6, 'complete', $7, $7)`, t.user.ID, in.convID, in.userID, nullable(parentID), seq, in.content, now)
			return err
		}
		switch in.kind {
		case turnSend:
			parent := ""
			if leaf != nil {
				parent = leaf.ID
			}
			if err := insertUser(parent); err != nil {
				return err
			}
		case turnRegenerate:
			u, err := s.answerTarget(ctx, tx, in, leaf)
			if err != nil {
				return err
			}
			t.user = u
		case turnEdit:
			old, err := messageTx(ctx, tx, in.userID, in.editID)
			if errs.Is(err, errs.NotFound) || (err == nil && (old.ConversationID != in.convID || old.Role != RoleUser)) {
				return errs.E(errs.Invalid, "only your own messages can be edited")
			}
			if err != nil {
				return err
			}
			// The new version sits beside the old one, after the same reply.
			if err := insertUser(old.ParentID); err != nil {
				return err
			}
		}
		seq++
		_, err = tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, parent_id, seq, role, content, status, instance_id, created_at, updated_at, shown_at)
			VALUES ($1, $2, $3, $4, $5, 'assistant', '', 'streaming', $7, $6, $6, $6)`, t.replyID, in.convID, in.userID, t.user.ID, seq, now, s.instance)
		if err != nil {
			return err
		}
		t.conv, err = scanConversation(tx.QueryRowContext(ctx, `UPDATE conversations SET leaf_id = $2 WHERE id = $1
			RETURNING `+conversationColumns, in.convID, t.replyID))
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

// answerTarget is the user message a regeneration answers: the one named, or the last
// user message of the branch shown.
func (s *Store) answerTarget(ctx context.Context, tx *sql.Tx, in turnInput, leaf *Message) (*Message, error) {
	if in.answerID != "" {
		u, err := messageTx(ctx, tx, in.userID, in.answerID)
		if errs.Is(err, errs.NotFound) || (err == nil && (u.ConversationID != in.convID || u.Role != RoleUser)) {
			return nil, errs.E(errs.Invalid, "only a reply of this conversation can be regenerated")
		}
		return u, err
	}
	switch {
	case leaf == nil:
		return nil, errs.E(errs.Conflict, "there is no message to answer yet")
	case leaf.Role == RoleUser:
		return leaf, nil
	case leaf.ParentID == "":
		return nil, errs.E(errs.Conflict, "there is no message to answer yet")
	}
	return messageTx(ctx, tx, in.userID, leaf.ParentID)
}

// messageTx reads one of userID's messages in tx.
func messageTx(ctx context.Context, tx *sql.Tx, userID, id string) (*Message, error) {
	m, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE user_id = $1 AND id = $2`, userID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("message not found")
	}
	return m, err
}

// nullable stores "" as NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// estimateTurn is the tokens a turn is expected to count against the daily limit, reserved
// while it runs: the context of the previous reply (what it read and wrote, which the next
// call reads again), the new message at about four characters a token, and the most one
// model call may write (llm.DefaultMaxTokens). It errs on the high side: a turn of
// several tool steps reads its context again for each.
func estimateTurn(in turnInput, leaf *Message) int64 {
	n := int64(llm.DefaultMaxTokens) + textTokens(len(in.content))
	if leaf != nil && leaf.Role == RoleAssistant {
		n += leaf.Usage.InputTokens + leaf.Usage.CacheWriteTokens + leaf.Usage.OutputTokens
	}
	return n
}

// textTokens is the tokens of n bytes of text, at four bytes a token (rounded up):
// the figure used where a provider's own count is not known (a call cut by a stop or a
// crash before its final usage).
func textTokens(n int) int64 { return int64((n + 3) / 4) }

// autoTitle names a new conversation after the start of its first message.
func autoTitle(content string) string {
	t := []rune(collapseSpace(content))
	if len(t) > 60 {
		return string(t[:57]) + "…"
	}
	return string(t)
}
