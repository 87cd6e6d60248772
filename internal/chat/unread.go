package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// MarkUnread marks one of userID's conversations unread: a feature left something there
// the user has not seen yet (a scheduled task's result). Another user's conversation is
// not found and stays as it is.
func (s *Service) MarkUnread(ctx context.Context, userID, conversationID string) error {
	return s.store.MarkUnread(ctx, userID, conversationID)
}

// MarkRead clears the unread mark of one of userID's conversations (none is fine).
func (s *Service) MarkRead(ctx context.Context, userID, conversationID string) error {
	return s.store.MarkRead(ctx, userID, conversationID)
}

// MarkUnread sets the conversation's unread mark to now.
func (s *Store) MarkUnread(ctx context.Context, userID, id string) error {
	n, err := s.exec(ctx, `UPDATE conversations SET unread_at = $3 WHERE user_id = $1 AND id = $2`,
		userID, id, db.Millis(s.now()))
	if err != nil {
		return fmt.Errorf("chat: mark unread: %w", err)
	}
	if n == 0 {
		return errs.NotFoundf("conversation not found")
	}
	return nil
}

// MarkRead clears the conversation's unread mark; only a marked conversation is written,
// so reading a read one costs no write.
func (s *Store) MarkRead(ctx context.Context, userID, id string) error {
	n, err := s.exec(ctx, `UPDATE conversations SET unread_at = NULL WHERE user_id = $1 AND id = $2 AND unread_at IS NOT NULL`,
		userID, id)
	if err != nil {
		return fmt.Errorf("chat: mark read: %w", err)
	}
	if n > 0 {
		return nil
	}
	var one int
	err = s.db.R.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE user_id = $1 AND id = $2`, userID, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFoundf("conversation not found")
	}
	if err != nil {
		return fmt.Errorf("chat: mark read: %w", err)
	}
	return nil
}

// UnreadCount counts userID's unread conversations.
func (s *Store) UnreadCount(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE user_id = $1 AND unread_at IS NOT NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("chat: count unread: %w", err)
	}
	return n, nil
}

// markRead handles POST /api/v1/conversations/{id}/read → 204.
func (s *Service) markRead(w http.ResponseWriter, r *http.Request) {
	if err := s.store.MarkRead(r.Context(), s.userID(r), r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}
