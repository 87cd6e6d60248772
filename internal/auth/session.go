package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Session is one signed-in device or browser.
type Session struct {
	ID         string    `json:"id"`
	Method     string    `json:"method"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

// Client describes where a request came from, for sessions and sign-in history.
type Client struct {
	IP        string
	UserAgent string
}

// IssuedToken is a new session's bearer token.
type IssuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	SessionID string    `json:"-"`
}

// sign-in methods, stored with sessions and sign-in history.
const (
	MethodPassword = "password"
	MethodGoogle   = "google"
)

// createSession stores a session for userID inside tx and signs its token.
func (s *Service) createSession(ctx context.Context, tx *sql.Tx, userID, method string, c Client) (IssuedToken, error) {
	now := s.now()
	exp := now.Add(SessionLifetime)
	id := newID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, method, ip, user_agent, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`, id, userID, method, c.IP, truncate(c.UserAgent, 300), db.Millis(now), db.Millis(exp)); err != nil {
		return IssuedToken{}, fmt.Errorf("auth: create session: %w", err)
	}
	tok, err := s.signToken(userID, id, now, exp)
	if err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: tok, ExpiresAt: exp.Truncate(time.Second), SessionID: id}, nil
}

// IssueSession starts a session for an existing user (tests and trusted internal callers;
// users get sessions by signing in).
func (s *Service) IssueSession(ctx context.Context, userID, method string, c Client) (IssuedToken, error) {
	var out IssuedToken
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.createSession(ctx, tx, userID, method, c)
		return err
	})
	return out, err
}

// lastSeenEvery bounds how often a session's last-seen time is written, so requests do not
// each cost a write.
const lastSeenEvery = 5 * time.Minute

// authenticate checks a bearer token against its server-side session and user, so a
// revoked session, a suspended or deleted account is refused at once.
func (s *Service) authenticate(ctx context.Context, raw string) (Principal, error) {
	unauth := func(cause error) error {
		return errs.Wrap(cause, errs.Unauthenticated, "Your session ended. Sign in again.")
	}
	c, err := s.parseToken(raw)
	if err != nil {
		return Principal{}, unauth(err)
	}
	return s.lookupSession(ctx, c.Subject, c.SessionID)
}

// lookupSession returns the Principal of a live session of an active account.
func (s *Service) lookupSession(ctx context.Context, subject, sessionID string) (Principal, error) {
	unauth := func(cause error) error {
		return errs.Wrap(cause, errs.Unauthenticated, "sign in again: your session is missing, expired or was signed out")
	}
	var (
		userID, role, status      string
		verified, revoked, delete sql.NullInt64
		expires, lastSeen         int64
	)
	err := s.db.R.QueryRowContext(ctx, `SELECT s.user_id, s.expires_at, s.last_seen_at, s.revoked_at,
			u.role, u.status, u.email_verified_at, u.deleted_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.user_id = $2`, sessionID, subject).
		Scan(&userID, &expires, &lastSeen, &revoked, &role, &status, &verified, &delete)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, unauth(errors.New("no such session"))
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: look up session: %w", err)
	}
	now := s.now()
	switch {
	case revoked.Valid:
		return Principal{}, unauth(errors.New("session revoked"))
	case db.Millis(now) >= expires:
		return Principal{}, unauth(errors.New("session expired"))
	case status != StatusActive || delete.Valid:
		return Principal{}, unauth(errors.New("account not active"))
	}
	if db.Millis(now)-lastSeen > lastSeenEvery.Milliseconds() {
		if _, err := s.db.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, db.Millis(now), sessionID); err != nil {
			s.logger.Warn("auth: update last seen", "error", err)
		}
	}
	return Principal{UserID: userID, SessionID: sessionID, EmailVerified: verified.Valid, Role: role}, nil
}

// revokeSessions revokes the user's live sessions inside tx, except keep (may be "").
func revokeSessions(ctx context.Context, tx *sql.Tx, userID, keep string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1
		WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL`, db.Millis(now), userID, keep)
	if err != nil {
		return fmt.Errorf("auth: revoke sessions: %w", err)
	}
	return nil
}

// RevokeAllSessions signs the user out everywhere (password change, suspension, account
// deletion).
func (s *Service) RevokeAllSessions(ctx context.Context, userID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return revokeSessions(ctx, tx, userID, "", s.now()) })
}

// RevokeSession revokes one of the user's sessions; another user's session is not found.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1
		WHERE user_id = $2 AND id = $3 AND revoked_at IS NULL`, db.Millis(s.now()), userID, sessionID)
	if err != nil {
		return fmt.Errorf("auth: revoke session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFoundf("no such session")
	}
	return nil
}

// ListSessions returns the user's live sessions, newest first; current marks the caller's.
func (s *Service) ListSessions(ctx context.Context, userID, current string) ([]Session, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, method, ip, user_agent, created_at, last_seen_at, expires_at
		FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		ORDER BY created_at DESC, id`, userID, db.Millis(s.now()))
	if err != nil {
		return nil, fmt.Errorf("auth: list sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var x Session
		var created, seen, exp int64
		if err := rows.Scan(&x.ID, &x.Method, &x.IP, &x.UserAgent, &created, &seen, &exp); err != nil {
			return nil, err
		}
		x.CreatedAt, x.LastSeenAt, x.ExpiresAt = db.Time(created), db.Time(seen), db.Time(exp)
		x.Current = x.ID == current
		out = append(out, x)
	}
	return out, rows.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n]
}
