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

// Purposes of single-use account tokens, with their lifetimes (ACC-2, ACC-4).
const (
	purposeVerifyEmail   = "verify_email"
	purposeEmailChange   = "email_change"
	purposePasswordReset = "password_reset"
)

var tokenLifetime = map[string]time.Duration{
	purposeVerifyEmail:   24 * time.Hour,
	purposeEmailChange:   24 * time.Hour,
	purposePasswordReset: time.Hour,
}

// issueAccountToken creates a single-use token for userID inside tx and returns the
// secret to put in a link. Earlier unused tokens of the same purpose stop working, so only
// the newest link is live. Only the hash is stored.
func (s *Service) issueAccountToken(ctx context.Context, tx *sql.Tx, userID, purpose, email string) (string, error) {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $1
		WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL`, db.Millis(now), userID, purpose); err != nil {
		return "", fmt.Errorf("auth: retire tokens: %w", err)
	}
	secret := newSecret()
	_, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, hashSecret(secret), userID, purpose, email, db.Millis(now), db.Millis(now.Add(tokenLifetime[purpose])))
	if err != nil {
		return "", fmt.Errorf("auth: store token: %w", err)
	}
	return secret, nil
}

// accountToken is a consumed token.
type accountToken struct {
	UserID, Purpose, Email string
}

var errTokenInvalid = errs.InvalidField("token", "this link is invalid, was already used or has expired; ask for a new one")

// consumeAccountToken marks a token used inside tx and returns it, when it exists, has one
// of the purposes, is unused and unexpired. Using it and checking it are one statement, so
// two concurrent uses cannot both succeed.
func (s *Service) consumeAccountToken(ctx context.Context, tx *sql.Tx, secret string, purposes ...string) (accountToken, error) {
	if secret == "" || len(secret) > 200 {
		return accountToken{}, errTokenInvalid
	}
	now := db.Millis(s.now())
	var t accountToken
	err := tx.QueryRowContext(ctx, `UPDATE account_tokens SET used_at = $1
		WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
		RETURNING user_id, purpose, email`, now, hashSecret(secret)).Scan(&t.UserID, &t.Purpose, &t.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errTokenInvalid
	}
	if err != nil {
		return t, fmt.Errorf("auth: use token: %w", err)
	}
	for _, p := range purposes {
		if t.Purpose == p {
			return t, nil
		}
	}
	// Right secret, wrong place (e.g. a reset token sent to verify-email): refuse, and the
	// caller's rollback leaves it unused.
	return t, errTokenInvalid
}

// link builds an absolute link into the web app.
func (s *Service) link(path, token string) string {
	if token == "" {
		return s.cfg.PublicURL + path
	}
	return s.cfg.PublicURL + path + "?token=" + token
}
