package chat

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Conversation is one chat thread of a user.
type Conversation struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Usage     TokenTotals `json:"usage"`
	// ActiveReplyID is the assistant message being generated, if any.
	ActiveReplyID string `json:"active_reply_id,omitempty"`
	// Unread is set when a feature left something the user has not seen yet (a task's
	// result); reading the messages or sending one clears it.
	Unread bool `json:"unread"`
	// Channel is where the conversation is held besides the web: "" (the web only) or
	// ChannelTelegram (a linked Telegram chat talks in it).
	Channel string `json:"channel,omitempty"`
	// LeafID is the last message of the branch shown (and sent to the model); switching
	// versions changes it.
	LeafID string `json:"leaf_id,omitempty"`
	// TitlePending is set while the title is still the start of the first message and
	// the small model is to title the conversation.
	TitlePending bool `json:"title_pending"`

	userID         string
	summary        string
	summaryThrough int64
	// summaryThroughID is the last message the summary covers (see history).
	summaryThroughID string
	titleSource      string
}

// Where a conversation's title comes from (conversations.title_source).
const (
	titleAuto    = "auto"
	titlePending = "pending"
	titleModel   = "model"
	titleUser    = "user"
)

// maxTitle bounds conversation titles (in characters).
const maxTitle = 200

const conversationColumns = `id, user_id, title, COALESCE(active_reply_id, ''), summary, summary_through,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, created_at, updated_at, COALESCE(unread_at, 0), channel,
	COALESCE(leaf_id, ''), summary_through_id, title_source`

func scanConversation(row interface{ Scan(...any) error }) (*Conversation, error) {
	var c Conversation
	var created, updated, unread int64
	err := row.Scan(&c.ID, &c.userID, &c.Title, &c.ActiveReplyID, &c.summary, &c.summaryThrough,
		&c.Usage.InputTokens, &c.Usage.OutputTokens, &c.Usage.CacheReadTokens, &c.Usage.CacheWriteTokens,
		&created, &updated, &unread, &c.Channel, &c.LeafID, &c.summaryThroughID, &c.titleSource)
	if err != nil {
		return nil, err
	}
	c.TitlePending = c.titleSource == titleAuto || c.titleSource == titlePending
	c.CreatedAt, c.UpdatedAt, c.Unread = db.Time(created), db.Time(updated), unread != 0
	return &c, nil
}

// CreateConversation starts an empty conversation for userID.
func (s *Store) CreateConversation(ctx context.Context, userID, title string) (*Conversation, error) {
	now := s.now()
	c := &Conversation{ID: newID(), Title: title, CreatedAt: now.UTC().Truncate(time.Millisecond), userID: userID}
	c.UpdatedAt = c.CreatedAt
	_, err := s.exec(ctx, `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		c.ID, userID, title, db.Millis(now))
	if err != nil {
		return nil, fmt.Errorf("chat: create conversation: %w", err)
	}
	return c, nil
}

// ChannelTelegram marks a conversation a linked Telegram chat talks in.
const ChannelTelegram = "telegram"

// CreateChannelConversation starts an empty conversation for userID held in a channel
// besides the web (ChannelTelegram): the web shows the channel with the conversation.
func (s *Store) CreateChannelConversation(ctx context.Context, userID, title, channel string) (*Conversation, error) {
	if channel != ChannelTelegram {
		return nil, fmt.Errorf("chat: create conversation: unknown channel %q", channel)
	}
	now := s.now()
	c := &Conversation{ID: newID(), Title: title, CreatedAt: now.UTC().Truncate(time.Millisecond), userID: userID, Channel: channel}
	c.UpdatedAt = c.CreatedAt
	_, err := s.exec(ctx, `INSERT INTO conversations (id, user_id, title, channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		c.ID, userID, title, channel, db.Millis(now))
	if err != nil {
		return nil, fmt.Errorf("chat: create conversation: %w", err)
	}
	return c, nil
}

// Conversation returns one of userID's conversations.
func (s *Store) Conversation(ctx context.Context, userID, id string) (*Conversation, error) {
	c, err := scanConversation(s.db.R.QueryRowContext(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE user_id = $1 AND id = $2`, userID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("conversation not found")
	}
	if err != nil {
		return nil, fmt.Errorf("chat: read conversation: %w", err)
	}
	return c, nil
}

// RenameConversation sets a conversation's title.
func (s *Store) RenameConversation(ctx context.Context, userID, id, title string) (*Conversation, error) {
	n, err := s.exec(ctx, `UPDATE conversations SET title = $3, title_source = 'user' WHERE user_id = $1 AND id = $2`, userID, id, title)
	if err != nil {
		return nil, fmt.Errorf("chat: rename conversation: %w", err)
	}
	if n == 0 {
		return nil, errs.NotFoundf("conversation not found")
	}
	return s.Conversation(ctx, userID, id)
}

// DeleteConversation deletes a conversation with its messages, steps and feedback.
func (s *Store) DeleteConversation(ctx context.Context, userID, id string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE user_id = $1 AND id = $2`, userID, id)
		if err != nil {
			return fmt.Errorf("chat: delete conversation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFoundf("conversation not found")
		}
		if s.ledger != nil {
			// Its usage leaves with it: the totals of the day stay, nothing names it.
			return s.ledger.ForgetConversation(ctx, tx, userID, id)
		}
		return nil
	})
	return err
}

// ListOptions page through conversations.
type ListOptions struct {
	// Query, when set, keeps conversations whose title or messages contain it
	// (case-insensitively).
	Query string
	// Cursor continues a previous page (its NextCursor).
	Cursor string
	Limit  int
}

// ConversationPage is one page of conversations, most recent activity first.
type ConversationPage struct {
	Conversations []*Conversation `json:"conversations"`
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
	// Unread counts all the user's unread conversations, not only this page's.
	Unread int `json:"unread"`
}

// ListConversations returns userID's conversations by most recent activity.
func (s *Store) ListConversations(ctx context.Context, userID string, o ListOptions) (*ConversationPage, error) {
	if o.Limit <= 0 || o.Limit > 100 {
		o.Limit = 30
	}
	where := []string{"user_id = $1"}
	args := []any{userID}
	if o.Cursor != "" {
		at, id, err := decodeCursor(o.Cursor)
		if err != nil {
			return nil, err
		}
		args = append(args, at, id)
		where = append(where, fmt.Sprintf("(updated_at < $%d OR (updated_at = $%d AND id < $%d))", len(args)-1, len(args)-1, len(args)))
	}
	if q := strings.TrimSpace(o.Query); q != "" {
		args = append(args, "%"+escapeLike(strings.ToLower(q))+"%")
		n := len(args)
		where = append(where, fmt.Sprintf(`(LOWER(title) LIKE $%d ESCAPE '\' OR EXISTS (
			SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.user_id = $1 AND LOWER(m.content) LIKE $%d ESCAPE '\'))`, n, n))
	}
	args = append(args, o.Limit+1)
	query := `SELECT ` + conversationColumns + ` FROM conversations WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY updated_at DESC, id DESC LIMIT $%d`, len(args))
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("chat: list conversations: %w", err)
	}
	defer rows.Close()
	page := &ConversationPage{Conversations: []*Conversation{}}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("chat: list conversations: %w", err)
		}
		page.Conversations = append(page.Conversations, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat: list conversations: %w", err)
	}
	if len(page.Conversations) > o.Limit {
		page.Conversations = page.Conversations[:o.Limit]
		last := page.Conversations[o.Limit-1]
		page.NextCursor = encodeCursor(db.Millis(last.UpdatedAt), last.ID)
	}
	if page.Unread, err = s.UnreadCount(ctx, userID); err != nil {
		return nil, err
	}
	return page, nil
}

// escapeLike escapes LIKE's wildcards so a search matches the text literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func encodeCursor(at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	bad := errs.InvalidField("cursor", "cursor is not valid; use next_cursor from a previous page")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", bad
	}
	at, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", bad
	}
	return n, id, nil
}
