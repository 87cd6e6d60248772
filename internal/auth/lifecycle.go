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

// StatusDeleted is users.status of an account deleted and waiting for its purge (the
// privacy feature deletes, recovers and purges accounts through the methods below).
const StatusDeleted = "deleted"

// PasswordMatches reports whether pw is the password of a stored hash. An empty hash (no
// account, or an account without a password) never matches but takes as long as a real
// comparison, so callers can answer unknown accounts after the same work.
func (s *Service) PasswordMatches(hash, pw string) bool { return s.passwordMatches(hash, pw) }

// RevokeAll signs the user out everywhere inside the caller's transaction.
func (s *Service) RevokeAll(ctx context.Context, tx *sql.Tx, userID string) error {
	return revokeSessions(ctx, tx, userID, "", s.now())
}

// MarkDeleted marks the account deleted at at, inside the caller's transaction (so the
// deletion and everything that goes with it commit together). An account already deleted
// is a Conflict.
func (s *Service) MarkDeleted(ctx context.Context, tx *sql.Tx, userID string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET status = $1, deleted_at = $2, updated_at = $2
		WHERE id = $3 AND deleted_at IS NULL`, StatusDeleted, db.Millis(at), userID)
	if err != nil {
		return fmt.Errorf("auth: mark account deleted: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.Conflict, "this account is already scheduled for deletion")
	}
	return nil
}

// MarkRecovered undoes MarkDeleted inside the caller's transaction, for the deletion made
// at deletedAt only (a deletion that changed meanwhile is a Conflict). The account returns
// to active, or to suspended if it was suspended before; the status is returned.
func (s *Service) MarkRecovered(ctx context.Context, tx *sql.Tx, userID string, deletedAt time.Time) (string, error) {
	var status string
	err := tx.QueryRowContext(ctx, `UPDATE users SET deleted_at = NULL, updated_at = $1,
			status = CASE WHEN suspended_at IS NULL THEN $2 ELSE $3 END
		WHERE id = $4 AND status = $5 AND deleted_at = $6
		RETURNING status`, db.Millis(s.now()), StatusActive, StatusSuspended, userID, StatusDeleted, db.Millis(deletedAt)).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.E(errs.Conflict, "this account is not scheduled for deletion; sign in as usual")
	}
	if err != nil {
		return "", fmt.Errorf("auth: recover account: %w", err)
	}
	return status, nil
}
