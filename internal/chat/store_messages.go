package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Message statuses.
const (
	StatusComplete    = "complete"
	StatusStreaming   = "streaming"
	StatusStopped     = "stopped"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Message roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is a user message or an assistant reply.
type Message struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	// ParentID is the message this one follows on its branch ("" for a first message): a
	// reply's user message, a user message's previous reply.
	ParentID string `json:"parent_id"`
	// SiblingIDs are the versions of this message (itself included), oldest first: the
	// replies to the same user message, or the user messages after the same reply (edits).
	// SiblingIndex is this message's place among them. Set on branch listings.
	SiblingIDs   []string      `json:"sibling_ids,omitempty"`
	SiblingIndex int           `json:"sibling_index"`
	Role         string        `json:"role"`
	Content      string        `json:"content"`
	Status       string        `json:"status"`
	Error        *MessageError `json:"error,omitempty"`
	// Provider and Model produced an assistant reply; Fallback is set when the primary
	// provider was unavailable.
	Provider string      `json:"provider,omitempty"`
	Model    string      `json:"model,omitempty"`
	Fallback bool        `json:"fallback"`
	Usage    TokenTotals `json:"usage"`
	// Steps are the tool calls of an assistant reply, in order.
	Steps     []Step    `json:"steps"`
	Feedback  *Feedback `json:"feedback"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	seq    int64
	userID string
}

// MessageError is why a reply failed or was interrupted.
type MessageError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Step is one tool call of a reply and its result.
type Step struct {
	ToolCallID string `json:"tool_call_id"`
	Tool       string `json:"tool"`
	Input      string `json:"input"`
	Result     string `json:"result"`
	IsError    bool   `json:"is_error"`
	// WritesMemory marks calls that changed the user's memory (shown to the user).
	WritesMemory bool `json:"writes_memory"`
	// Change marks calls that changed the user's data (memory writes among them); Undo,
	// when not null, is the action the UI offers to undo it (see ToolResult).
	Change bool            `json:"change"`
	Undo   json.RawMessage `json:"undo"`

	seq        int
	round      int
	textOffset int
}

// resultEvent is the step's tool_result event.
func (st Step) resultEvent() toolResultEvent {
	return toolResultEvent{ToolCallID: st.ToolCallID, Tool: st.Tool, Result: st.Result, IsError: st.IsError,
		WritesMemory: st.WritesMemory, Change: st.Change, Undo: st.Undo}
}

const messageColumns = `id, conversation_id, user_id, COALESCE(parent_id, ''), seq, role, content, status, error_code, error_message,
	provider, model, fallback, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, created_at, updated_at`

func scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var code, msg string
	var created, updated int64
	err := row.Scan(&m.ID, &m.ConversationID, &m.userID, &m.ParentID, &m.seq, &m.Role, &m.Content, &m.Status, &code, &msg,
		&m.Provider, &m.Model, &m.Fallback, &m.Usage.InputTokens, &m.Usage.OutputTokens,
		&m.Usage.CacheReadTokens, &m.Usage.CacheWriteTokens, &created, &updated)
	if err != nil {
		return nil, err
	}
	if code != "" {
		m.Error = &MessageError{Code: code, Message: msg}
	}
	m.Steps = []Step{}
	m.CreatedAt, m.UpdatedAt = db.Time(created), db.Time(updated)
	return &m, nil
}

// Message returns one of userID's messages with its steps and feedback.
func (s *Store) Message(ctx context.Context, userID, id string) (*Message, error) {
	m, err := scanMessage(s.db.R.QueryRowContext(ctx,
		`SELECT `+messageColumns+` FROM messages WHERE user_id = $1 AND id = $2`, userID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("message not found")
	}
	if err != nil {
		return nil, fmt.Errorf("chat: read message: %w", err)
	}
	if err := s.attach(ctx, userID, []*Message{m}); err != nil {
		return nil, err
	}
	return m, nil
}

// MessagePage is a page of the branch a conversation shows, in chronological order.
type MessagePage struct {
	Messages []*Message `json:"messages"`
	// HasMore says there are earlier messages: ask again with before= the first id.
	HasMore bool `json:"has_more"`
	// LeafID is the last message of the branch shown.
	LeafID string `json:"leaf_id"`
}

// Messages returns up to limit messages of the branch a conversation shows, the latest
// ones (or those just before the message beforeID on it), in chronological order, each
// with its versions (SiblingIDs).
func (s *Store) Messages(ctx context.Context, userID, convID, beforeID string, limit int) (*MessagePage, error) {
	c, err := s.Conversation(ctx, userID, convID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	page := &MessagePage{Messages: []*Message{}, LeafID: c.LeafID}
	from := c.LeafID
	if beforeID != "" {
		m, err := s.Message(ctx, userID, beforeID)
		if err != nil || m.ConversationID != convID {
			return nil, errs.InvalidField("before", "before must be the id of a message of this conversation")
		}
		from = m.ParentID
	}
	if from == "" {
		return page, nil
	}
	rows, err := s.db.R.QueryContext(ctx, branchFrom+` SELECT `+messageColumns+`
		FROM branch JOIN messages ON messages.id = branch.bid ORDER BY branch.depth`, userID, convID, from, limit+1, 0)
	if err != nil {
		return nil, fmt.Errorf("chat: list messages: %w", err)
	}
	var ms []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("chat: list messages: %w", err)
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat: list messages: %w", err)
	}
	if len(ms) > limit {
		ms, page.HasMore = ms[:limit], true
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	if err := s.attach(ctx, userID, ms); err != nil {
		return nil, err
	}
	if err := s.siblings(ctx, userID, convID, ms); err != nil {
		return nil, err
	}
	page.Messages = ms
	return page, nil
}

// siblings sets the versions of each message: the messages that follow the same parent.
func (s *Store) siblings(ctx context.Context, userID, convID string, ms []*Message) error {
	if len(ms) == 0 {
		return nil
	}
	parents := map[string]bool{}
	var args []any
	roots := false
	for _, m := range ms {
		if m.ParentID == "" {
			roots = true
		} else if !parents[m.ParentID] {
			parents[m.ParentID] = true
			args = append(args, m.ParentID)
		}
	}
	cond := "parent_id IS NULL"
	if len(args) > 0 {
		cond = "parent_id IN (" + inList(3, len(args)) + ")"
		if roots {
			cond = "(" + cond + " OR parent_id IS NULL)"
		}
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, COALESCE(parent_id, '') FROM messages
		WHERE user_id = $1 AND conversation_id = $2 AND `+cond+` ORDER BY seq`, append([]any{userID, convID}, args...)...)
	if err != nil {
		return fmt.Errorf("chat: read versions: %w", err)
	}
	defer rows.Close()
	byParent := map[string][]string{}
	for rows.Next() {
		var id, parent string
		if err := rows.Scan(&id, &parent); err != nil {
			return fmt.Errorf("chat: read versions: %w", err)
		}
		byParent[parent] = append(byParent[parent], id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chat: read versions: %w", err)
	}
	for _, m := range ms {
		m.SiblingIDs = byParent[m.ParentID]
		for i, id := range m.SiblingIDs {
			if id == m.ID {
				m.SiblingIndex = i
			}
		}
	}
	return nil
}

// errBranchBusy refuses a switch of versions while a reply is being generated.
var errBranchBusy = errs.E(errs.Conflict, "a reply is being generated in this conversation; wait for it or stop it before switching versions")

// ShowVersion makes the conversation show the branch through message id: the branch
// below it shown last (or, when none was, the one with the newest message), down to
// its last message. It returns the new leaf.
func (s *Store) ShowVersion(ctx context.Context, userID, convID, id string) (string, error) {
	var leaf string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var active string
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(active_reply_id, '') FROM conversations WHERE user_id = $1 AND id = $2`,
			userID, convID).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFoundf("conversation not found")
		}
		if err != nil {
			return err
		}
		if active != "" {
			return errBranchBusy
		}
		err = tx.QueryRowContext(ctx, `WITH RECURSIVE below(bid) AS (
				SELECT id FROM messages WHERE user_id = $1 AND conversation_id = $2 AND id = $3
				UNION ALL
				SELECT m.id FROM below b JOIN messages m ON m.conversation_id = $2 AND m.parent_id = b.bid
			) SELECT messages.id FROM below JOIN messages ON messages.id = below.bid
			WHERE NOT EXISTS (SELECT 1 FROM messages c WHERE c.conversation_id = $2 AND c.parent_id = messages.id)
			ORDER BY COALESCE(messages.shown_at, 0) DESC, messages.seq DESC LIMIT 1`,
			userID, convID, id).Scan(&leaf)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.InvalidField("message_id", "message_id must be the id of a message of this conversation")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET shown_at = $3 WHERE user_id = $1 AND id = $2`, userID, leaf, db.Millis(s.now())); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET leaf_id = $3 WHERE user_id = $1 AND id = $2`, userID, convID, leaf)
		return err
	})
	if err != nil {
		if _, ok := errs.As(err); ok {
			return "", err
		}
		return "", fmt.Errorf("chat: show version: %w", err)
	}
	return leaf, nil
}

// attach loads the steps and current feedback of assistant messages.
func (s *Store) attach(ctx context.Context, userID string, ms []*Message) error {
	byID := map[string]*Message{}
	var ids []any
	for _, m := range ms {
		if m.Role == RoleAssistant {
			byID[m.ID] = m
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	steps, err := s.steps(ctx, userID, ids)
	if err != nil {
		return err
	}
	for id, st := range steps {
		byID[id].Steps = st
	}
	fb, err := s.currentFeedback(ctx, userID, ids)
	if err != nil {
		return err
	}
	for id, f := range fb {
		byID[id].Feedback = f
	}
	return nil
}

// inList returns "$n, $n+1, …" placeholders for k values after the first n-1 arguments.
func inList(n, k int) string {
	ph := make([]string, k)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", n+i)
	}
	return strings.Join(ph, ", ")
}

// steps loads the steps of the given messages, grouped by message.
func (s *Store) steps(ctx context.Context, userID string, ids []any) (map[string][]Step, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT message_id, seq, round, text_offset, tool_call_id, tool_name,
		input, result, is_error, writes_memory, changes_data, undo FROM message_steps
		WHERE user_id = $1 AND message_id IN (`+inList(2, len(ids))+`) ORDER BY message_id, seq`,
		append([]any{userID}, ids...)...)
	if err != nil {
		return nil, fmt.Errorf("chat: read steps: %w", err)
	}
	defer rows.Close()
	out := map[string][]Step{}
	for rows.Next() {
		var id string
		var st Step
		var undo string
		if err := rows.Scan(&id, &st.seq, &st.round, &st.textOffset, &st.ToolCallID, &st.Tool,
			&st.Input, &st.Result, &st.IsError, &st.WritesMemory, &st.Change, &undo); err != nil {
			return nil, fmt.Errorf("chat: read steps: %w", err)
		}
		if undo != "" {
			st.Undo = json.RawMessage(undo)
		}
		out[id] = append(out[id], st)
	}
	return out, rows.Err()
}
