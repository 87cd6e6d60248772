package auth

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// SignInRetention is how long sign-in history is kept (ACC-8, PRIV-4).
const SignInRetention = 90 * 24 * time.Hour

// SignIn is one attempt to sign in to an account.
type SignIn struct {
	ID        string    `json:"id"`
	Method    string    `json:"method"`
	Success   bool      `json:"success"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
}

// RecordSignIn adds a successful sign-in made outside this package (account recovery) to
// the user's sign-in history.
func (s *Service) RecordSignIn(ctx context.Context, userID, method string, c Client) {
	s.recordSignIn(ctx, userID, method, true, c)
}

// recordSignIn stores an attempt; failures to record are logged, never fatal to the
// sign-in itself.
func (s *Service) recordSignIn(ctx context.Context, userID, method string, success bool, c Client) {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO sign_ins (id, user_id, method, success, ip, user_agent, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, newID(), userID, method, success, c.IP, truncate(c.UserAgent, 300), db.Millis(s.now()))
	if err != nil {
		s.logger.Warn("auth: record sign-in", "error", err)
	}
}

// ListSignIns returns the user's sign-in history of the retention period, newest first.
func (s *Service) ListSignIns(ctx context.Context, userID string, limit int) ([]SignIn, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, method, success, ip, user_agent, created_at FROM sign_ins
		WHERE user_id = $1 AND created_at > $2 ORDER BY created_at DESC, id LIMIT $3`,
		userID, db.Millis(s.now().Add(-SignInRetention)), limit)
	if err != nil {
		return nil, fmt.Errorf("auth: list sign-ins: %w", err)
	}
	defer rows.Close()
	out := []SignIn{}
	for rows.Next() {
		var x SignIn
		var at int64
		if err := rows.Scan(&x.ID, &x.Method, &x.Success, &x.IP, &x.UserAgent, &at); err != nil {
			return nil, err
		}
		x.CreatedAt = db.Time(at)
		out = append(out, x)
	}
	return out, rows.Err()
}
