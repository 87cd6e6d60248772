package insights

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// Note is the review's quality note on one conversation of a night.
type Note struct {
	ConversationID string   `json:"conversation_id"`
	MessageIDs     []string `json:"message_ids"`
	Score          int      `json:"score"`
	Issues         []string `json:"issues"`
	Summary        string   `json:"summary"`
	Night          string   `json:"night"`
	// CreatedAt is when the review wrote it.
	CreatedAt time.Time `json:"created_at"`
}

// NotesKeptMonths is how long notes are kept (PRIV-4).
const NotesKeptMonths = 12

// Notes returns the user's notes of their latest analysed night, best-scored last.
func (s *Service) Notes(ctx context.Context, userID string) ([]Note, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT conversation_id, message_ids, score, issues, summary, night, created_at
		FROM nightly_notes WHERE user_id = $1 AND night = (SELECT MAX(night) FROM nightly_notes WHERE user_id = $1)
		ORDER BY score, conversation_id LIMIT 100`, userID)
	if err != nil {
		return nil, fmt.Errorf("insights: read notes: %w", err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var ids, issues string
		var at int64
		if err := rows.Scan(&n.ConversationID, &ids, &n.Score, &issues, &n.Summary, &n.Night, &at); err != nil {
			return nil, fmt.Errorf("insights: read notes: %w", err)
		}
		_ = json.Unmarshal([]byte(ids), &n.MessageIDs)
		_ = json.Unmarshal([]byte(issues), &n.Issues)
		if n.MessageIDs == nil {
			n.MessageIDs = []string{}
		}
		if n.Issues == nil {
			n.Issues = []string{}
		}
		n.CreatedAt = db.Time(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// insertNote stores a note in tx.
func insertNote(ctx context.Context, tx *sql.Tx, id, userID, night string, n Note, at time.Time) error {
	ids, _ := json.Marshal(n.MessageIDs)
	issues, _ := json.Marshal(n.Issues)
	_, err := tx.ExecContext(ctx, `INSERT INTO nightly_notes (id, user_id, night, conversation_id, message_ids, score, issues, summary, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, userID, night, n.ConversationID, string(ids), n.Score, string(issues),
		n.Summary, db.Millis(at))
	if err != nil {
		return fmt.Errorf("insights: store note: %w", err)
	}
	return nil
}

// PurgeOldNotes deletes notes older than NotesKeptMonths (the retention job).
func (s *Service) PurgeOldNotes(ctx context.Context) (int64, error) {
	cutoff := s.now().AddDate(0, -NotesKeptMonths, 0)
	n, err := s.d.DB.Exec(ctx, `DELETE FROM nightly_notes WHERE created_at < $1`, db.Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("insights: purge old notes: %w", err)
	}
	return n, nil
}
