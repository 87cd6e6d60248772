package auth

import (
	"context"
	"database/sql"
	"errors"

	"myally.app/ally/internal/db"
)

// A known device is a client that signed in to an account successfully before: the same
// client IP and user agent as a successful sign-in in the account's sign-in history (kept
// 90 days). Failed sign-ins from a known device do not count against the account's
// per-address limit, so guessing the password from elsewhere cannot lock the owner out of
// the devices they already use (see limitLoginEmail). It is recognised from what the
// server already keeps, so the browser holds nothing for it: its storage stays the auth
// token and UI preferences alone.

// knownDevice returns the rate-limit subject of c when it signed in to userID successfully
// within the sign-in history's retention, or "". The query runs for unknown addresses too
// (userID ""), so both do the same work.
func (s *Service) knownDevice(ctx context.Context, userID string, c Client) (string, error) {
	var one int
	err := s.db.R.QueryRowContext(ctx, `SELECT 1 FROM sign_ins
		WHERE user_id = $1 AND success = $2 AND ip = $3 AND user_agent = $4 AND created_at > $5 LIMIT 1`,
		userID, true, c.IP, truncate(c.UserAgent, 300), db.Millis(s.now().Add(-SignInRetention))).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", err
	}
	return c.IP + "\x00" + truncate(c.UserAgent, 300), nil
}
