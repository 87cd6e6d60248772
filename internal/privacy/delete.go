package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// StatusDeleted is users.status of an account deleted and waiting for its purge.
const StatusDeleted = auth.StatusDeleted

// GoogleReauthWindow is how recent a Google sign-in must be to stand in for the password
// when deleting an account.
const GoogleReauthWindow = 10 * time.Minute

// Proof is how a request to delete an account re-authenticates.
type Proof struct {
	// Password is the account's current password.
	Password string
	// SessionID is the session making the request: one started by a Google sign-in within
	// GoogleReauthWindow proves the user without a password.
	SessionID string
}

// account is the part of a users row that deletion and recovery need.
type account struct {
	id, email, name, status, hash string
	deletedAt, suspendedAt        sql.NullInt64
	// reason is an administrator's reason for deleting the account (the email quotes it).
	reason string
}

func (s *Service) accountBy(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, column, value string) (account, error) {
	var a account
	err := q.QueryRowContext(ctx, `SELECT id, email, name, status, COALESCE(password_hash, ''), deleted_at, suspended_at
		FROM users WHERE `+column+` = $1`, value).
		Scan(&a.id, &a.email, &a.name, &a.status, &a.hash, &a.deletedAt, &a.suspendedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.NotFoundf("no such account")
	}
	if err != nil {
		return a, fmt.Errorf("privacy: read account: %w", err)
	}
	return a, nil
}

// checkProof verifies a deletion request's re-authentication.
func (s *Service) checkProof(ctx context.Context, a account, p Proof) error {
	if p.Password != "" {
		if !s.accounts.PasswordMatches(a.hash, p.Password) {
			return errs.InvalidField("password", "the password is not correct")
		}
		return nil
	}
	var method string
	var created int64
	err := s.db.R.QueryRowContext(ctx, `SELECT method, created_at FROM sessions WHERE id = $1 AND user_id = $2`,
		p.SessionID, a.id).Scan(&method, &created)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("privacy: read session: %w", err)
	}
	if err == nil && method == auth.MethodGoogle && s.now().Sub(db.Time(created)) <= GoogleReauthWindow {
		return nil
	}
	e := errs.E(errs.Forbidden, "confirm it is you: enter your current password, or sign in with Google again and delete within %d minutes", int(GoogleReauthWindow.Minutes()))
	e.Details = map[string]any{"reason": "reauthentication_required"}
	return e
}

// DeleteAccount disables the account at once, after re-authentication: it is marked
// deleted, every session is revoked, the deletion hooks run (replies in progress stop,
// tasks pause, …) and a confirmation email is queued, all in one transaction. The account
// can be recovered until the returned time; then it is purged.
func (s *Service) DeleteAccount(ctx context.Context, userID string, p Proof) (time.Time, error) {
	a, err := s.accountBy(ctx, s.db.R, "id", userID)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.checkProof(ctx, a, p); err != nil {
		return time.Time{}, err
	}
	return s.disable(ctx, a, deletionScheduled, nil)
}

// DeleteByOperator is the same deletion as DeleteAccount, asked for by an administrator
// (a child's account, abuse): no re-authentication, the reason goes into the email the
// user receives, and also runs inside the deletion's transaction (the admin audit
// record), so the deletion and its record commit together. The account can be
// recovered within the grace period like any other; a suspended account comes back
// suspended.
func (s *Service) DeleteByOperator(ctx context.Context, userID, reason string, also func(ctx context.Context, tx *sql.Tx) error) (time.Time, error) {
	a, err := s.accountBy(ctx, s.db.R, "id", userID)
	if err != nil {
		return time.Time{}, err
	}
	a.reason = reason
	return s.disable(ctx, a, deletionByOperator, also)
}

// disable marks the account deleted, revokes every session, runs the deletion hooks and
// also, and queues the email of kind, in one transaction.
func (s *Service) disable(ctx context.Context, a account, kind string, also func(ctx context.Context, tx *sql.Tx) error) (time.Time, error) {
	userID := a.id
	now := s.now()
	until := now.Add(s.grace)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.accounts.MarkDeleted(ctx, tx, userID, now); err != nil {
			return err
		}
		if err := s.accounts.RevokeAll(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.runHooks(ctx, tx, &s.onDelete, userID); err != nil {
			return fmt.Errorf("privacy: deletion hook: %w", err)
		}
		if also != nil {
			if err := also(ctx, tx); err != nil {
				return err
			}
		}
		return s.notify(ctx, tx, a, kind, until)
	})
	if err != nil {
		return time.Time{}, err
	}
	s.logger.Info("account deleted; purge scheduled", "user_id", userID, "purge_after", until.Format(time.RFC3339), "by_operator", kind == deletionByOperator)
	return until, nil
}
