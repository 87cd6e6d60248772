package auth

import (
	"context"
	"database/sql"
	"fmt"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Suspend blocks an account and signs it out everywhere at once (ACC-10).
func (s *Service) Suspend(ctx context.Context, email string) (User, error) {
	return s.setStatus(ctx, email, StatusSuspended)
}

// Unsuspend lets a suspended account sign in again.
func (s *Service) Unsuspend(ctx context.Context, email string) (User, error) {
	return s.setStatus(ctx, email, StatusActive)
}

func (s *Service) setStatus(ctx context.Context, email, status string) (User, error) {
	var u User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = s.userByEmail(ctx, tx, email); err != nil {
			return err
		}
		now := s.now()
		suspendedAt := db.NullMillis(now)
		if status == StatusActive {
			suspendedAt = sql.NullInt64{}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = $1, suspended_at = $2, updated_at = $3 WHERE id = $4`,
			status, suspendedAt, db.Millis(now), u.ID); err != nil {
			return fmt.Errorf("auth: set status: %w", err)
		}
		if status == StatusSuspended {
			return revokeSessions(ctx, tx, u.ID, "", now)
		}
		return nil
	})
	if err != nil {
		return u, err
	}
	return s.UserByID(ctx, u.ID)
}

// MakeAdmin gives an account the admin role (ACC-9). When no account has the address
// yet, one is created with the address counted as verified and no password, and link is
// a password-setting link for the operator to pass on (it is emailed too).
func (s *Service) MakeAdmin(ctx context.Context, email string) (u User, link string, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err = s.userByEmail(ctx, tx, email)
		if errs.Is(err, errs.NotFound) {
			var id string
			if id, err = s.insertUser(ctx, tx, NewUser{Email: email, Verified: true, Role: RoleAdmin}); err != nil {
				return err
			}
			if u, err = s.userByID(ctx, tx, id); err != nil {
				return err
			}
			link, err = s.sendReset(ctx, tx, u)
			return err
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, RoleAdmin, db.Millis(s.now()), u.ID)
		return err
	})
	if err != nil {
		return u, "", err
	}
	u, err = s.UserByID(ctx, u.ID)
	return u, link, err
}
