package chat

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// The nightly analysis reads a user's day through these views (read-only, owner-scoped):
// chat owns conversations, messages, summaries and feedback.

// DayMessage is a stored message of the day, as the nightly review reads it.
type DayMessage struct {
	ID, Role, Content string
	CreatedAt         time.Time
}

// DayConversation is a conversation with messages in the day: its stored summary of
// older turns, and the day's messages in order.
type DayConversation struct {
	ID, Title, Summary string
	Messages           []DayMessage
}

// DayFeedback is one feedback event of the day with the rated reply and the user message
// it answered.
type DayFeedback struct {
	MessageID, ConversationID string
	// Rating is up, down or "" (a cleared rating).
	Rating, Reason string
	Reply, Prompt  string
	At             time.Time
}

// Day is what the user did in a time range.
type Day struct {
	Conversations []DayConversation
	Feedback      []DayFeedback
}

// Bounds on what one day view reads, whatever the user did: the review's token budget
// keeps far less.
const (
	dayMaxMessages = 400
	dayMaxFeedback = 100
)

// ActiveUsers returns the users who sent a message in [from, to).
func (s *Store) ActiveUsers(ctx context.Context, from, to time.Time) ([]string, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT user_id FROM messages
		WHERE created_at >= $1 AND created_at < $2 AND role = 'user'`, db.Millis(from), db.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("chat: active users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("chat: active users: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// HasActivity reports whether userID sent a message in [from, to).
func (s *Store) HasActivity(ctx context.Context, userID string, from, to time.Time) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM messages
		WHERE user_id = $1 AND created_at >= $2 AND created_at < $3 AND role = 'user' LIMIT 1) x`,
		userID, db.Millis(from), db.Millis(to)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("chat: activity: %w", err)
	}
	return n > 0, nil
}

// Day returns userID's conversations and feedback events in [from, to): the newest
// messages first kept when the day holds more than a view reads.
func (s *Store) Day(ctx context.Context, userID string, from, to time.Time) (Day, error) {
	var d Day
	rows, err := s.db.R.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.role, m.content, m.created_at, c.title, c.summary
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.user_id = $1 AND c.user_id = $1 AND m.created_at >= $2 AND m.created_at < $3
			AND m.status IN ('complete', 'stopped')
		ORDER BY m.created_at DESC, m.seq DESC LIMIT $4`, userID, db.Millis(from), db.Millis(to), dayMaxMessages)
	if err != nil {
		return d, fmt.Errorf("chat: day: %w", err)
	}
	byID := map[string]int{}
	var msgs []struct {
		conv string
		m    DayMessage
	}
	for rows.Next() {
		var m DayMessage
		var conv, title, summary string
		var at int64
		if err := rows.Scan(&m.ID, &conv, &m.Role, &m.Content, &at, &title, &summary); err != nil {
			rows.Close()
			return d, fmt.Errorf("chat: day: %w", err)
		}
		m.CreatedAt = db.Time(at)
		if _, ok := byID[conv]; !ok {
			byID[conv] = len(d.Conversations)
			d.Conversations = append(d.Conversations, DayConversation{ID: conv, Title: title, Summary: summary})
		}
		msgs = append(msgs, struct {
			conv string
			m    DayMessage
		}{conv, m})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	// Read newest first (to keep the newest), listed oldest first.
	for i := len(msgs) - 1; i >= 0; i-- {
		c := &d.Conversations[byID[msgs[i].conv]]
		c.Messages = append(c.Messages, msgs[i].m)
	}
	for i, j := 0, len(d.Conversations)-1; i < j; i, j = i+1, j-1 {
		d.Conversations[i], d.Conversations[j] = d.Conversations[j], d.Conversations[i]
	}
	d.Feedback, err = s.dayFeedback(ctx, userID, from, to)
	return d, err
}

func (s *Store) dayFeedback(ctx context.Context, userID string, from, to time.Time) ([]DayFeedback, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT f.message_id, m.conversation_id, f.rating, f.reason, f.created_at, m.content,
			COALESCE((SELECT p.content FROM messages p WHERE p.conversation_id = m.conversation_id AND p.id = m.parent_id
				AND p.role = 'user'), '')
		FROM message_feedback f JOIN messages m ON m.id = f.message_id
		WHERE f.user_id = $1 AND m.user_id = $1 AND f.created_at >= $2 AND f.created_at < $3
		ORDER BY f.id LIMIT $4`, userID, db.Millis(from), db.Millis(to), dayMaxFeedback)
	if err != nil {
		return nil, fmt.Errorf("chat: day feedback: %w", err)
	}
	defer rows.Close()
	var out []DayFeedback
	for rows.Next() {
		var f DayFeedback
		var at int64
		if err := rows.Scan(&f.MessageID, &f.ConversationID, &f.Rating, &f.Reason, &at, &f.Reply, &f.Prompt); err != nil {
			return nil, fmt.Errorf("chat: day feedback: %w", err)
		}
		f.At = db.Time(at)
		out = append(out, f)
	}
	return out, rows.Err()
}
