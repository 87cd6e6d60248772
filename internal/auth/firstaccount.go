package auth

import (
	"context"
	"database/sql"
	"fmt"

	"myally.app/ally/internal/db"
)

// signupRole is the role of an account signing up: on a fresh install (no account yet)
// the first one becomes the operator's admin, as the first superuser does in PocketBase,
// so that whoever installed the server can read its outbox in the admin area. It runs
// inside the transaction that inserts the account. Two first sign-ups at once make one
// admin: SQLite has one writer, and on PostgreSQL the second waits on a transaction lock
// and then sees the first account.
func (s *Service) signupRole(ctx context.Context, tx *sql.Tx) (string, error) {
	empty, err := noAccounts(ctx, tx)
	if err != nil || !empty {
		return RoleUser, err
	}
	if s.db.Dialect == db.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('auth:first-account', 0))`); err != nil {
			return "", fmt.Errorf("auth: lock first account: %w", err)
		}
		// Read committed: this statement sees an account committed while we waited.
		if empty, err = noAccounts(ctx, tx); err != nil || !empty {
			return RoleUser, err
		}
	}
	return RoleAdmin, nil
}

func noAccounts(ctx context.Context, tx *sql.Tx) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS one`).Scan(&n); err != nil {
		return false, fmt.Errorf("auth: count accounts: %w", err)
	}
	return n == 0, nil
}
