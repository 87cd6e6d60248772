package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Feedback is the current rating of an assistant reply: the latest feedback event.
type Feedback struct {
	Rating    string    `json:"rating"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// maxFeedbackReason bounds the optional reason (characters).
const maxFeedbackReason = 2000

// SetFeedback records a feedback event on an assistant reply of userID: rating "up" or
// "down", or "" to clear. Earlier events are kept; the latest one counts; the same rating
// given again only updates the latest event's reason.
func (s *Store) SetFeedback(ctx context.Context, userID, messageID, rating, reason string) (*Feedback, error) {
	m, err := s.Message(ctx, userID, messageID)
	if err != nil {
		return nil, err
	}
	if m.Role != RoleAssistant {
		return nil, errs.E(errs.Invalid, "feedback is for the assistant's replies")
	}
	now := s.now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// The same rating again (a thumb, then the reason for it) amends the latest event:
		// one rating with its reason is one piece of feedback, not two.
		var lastID int64
		var last string
		err := tx.QueryRowContext(ctx, `SELECT id, rating FROM message_feedback WHERE message_id = $1 AND user_id = $2
			ORDER BY id DESC LIMIT 1`, messageID, userID).Scan(&lastID, &last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && rating != "" && last == rating {
			_, err = tx.ExecContext(ctx, `UPDATE message_feedback SET reason = $1, created_at = $2 WHERE id = $3 AND user_id = $4`,
				reason, db.Millis(now), lastID, userID)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO message_feedback (message_id, user_id, rating, reason, created_at)
			VALUES ($1, $2, $3, $4, $5)`, messageID, userID, rating, reason, db.Millis(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("chat: store feedback: %w", err)
	}
	if rating == "" {
		return nil, nil
	}
	return &Feedback{Rating: rating, Reason: reason, UpdatedAt: db.Time(db.Millis(now))}, nil
}

// currentFeedback returns the latest non-cleared rating of each given message.
func (s *Store) currentFeedback(ctx context.Context, userID string, ids []any) (map[string]*Feedback, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT f.message_id, f.rating, f.reason, f.created_at FROM message_feedback f
		WHERE f.user_id = $1 AND f.message_id IN (`+inList(2, len(ids))+`)
		AND f.id = (SELECT MAX(g.id) FROM message_feedback g WHERE g.message_id = f.message_id)`,
		append([]any{userID}, ids...)...)
	if err != nil {
		return nil, fmt.Errorf("chat: read feedback: %w", err)
	}
	defer rows.Close()
	out := map[string]*Feedback{}
	for rows.Next() {
		var id string
		var f Feedback
		var at int64
		if err := rows.Scan(&id, &f.Rating, &f.Reason, &at); err != nil {
			return nil, fmt.Errorf("chat: read feedback: %w", err)
		}
		if f.Rating == "" {
			continue
		}
		f.UpdatedAt = db.Time(at)
		out[id] = &f
	}
	return out, rows.Err()
}

type feedbackInput struct {
	Rating string `json:"rating"`
	Reason string `json:"reason"`
}

// putFeedback handles PUT /api/v1/messages/{id}/feedback.
func (s *Service) putFeedback(w http.ResponseWriter, r *http.Request) {
	userID := s.userID(r)
	var in feedbackInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Rating != "up" && in.Rating != "down" {
		httpx.Error(w, r, errs.InvalidField("rating", `rating must be "up" or "down"`))
		return
	}
	if utf8.RuneCountInString(in.Reason) > maxFeedbackReason {
		httpx.Error(w, r, errs.InvalidField("reason", "reason must be at most %d characters", maxFeedbackReason))
		return
	}
	f, err := s.store.SetFeedback(r.Context(), userID, r.PathValue("id"), in.Rating, in.Reason)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"feedback": f})
}

// deleteFeedback handles DELETE /api/v1/messages/{id}/feedback.
func (s *Service) deleteFeedback(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.SetFeedback(r.Context(), s.userID(r), r.PathValue("id"), "", ""); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}
