package privacy

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// recoverable checks the credentials of a deleted account and returns it with the end of
// its recovery window. Unknown addresses and wrong passwords get the same answer after the
// same work; only the holder of the password learns anything about the account.
func (s *Service) recoverable(ctx context.Context, email, password string) (account, time.Time, error) {
	bad := errs.E(errs.Unauthenticated, "the email address or password is not correct")
	a, err := s.accountBy(ctx, s.db.R, "email", auth.NormalizeEmail(email))
	if errs.Is(err, errs.NotFound) {
		s.accounts.PasswordMatches("", password) // same time as a real check
		return a, time.Time{}, bad
	}
	if err != nil {
		return a, time.Time{}, err
	}
	if !s.accounts.PasswordMatches(a.hash, password) {
		return a, time.Time{}, bad
	}
	if a.status != StatusDeleted || !a.deletedAt.Valid {
		return a, time.Time{}, errs.E(errs.Conflict, "this account is not scheduled for deletion; sign in as usual")
	}
	until := db.Time(a.deletedAt.Int64).Add(s.grace)
	if !s.now().Before(until) {
		e := errs.E(errs.Forbidden, "the recovery period of this account has ended; its data is being deleted")
		e.Details = map[string]any{"reason": "recovery_period_ended"}
		return a, until, e
	}
	return a, until, nil
}

// RecoverableUntil checks the credentials of a deleted account without changing anything
// and tells until when it can be recovered (the recovery screen shows it).
func (s *Service) RecoverableUntil(ctx context.Context, email, password string) (time.Time, error) {
	_, until, err := s.recoverable(ctx, email, password)
	if err != nil {
		return time.Time{}, err
	}
	return until, nil
}

// Recover reactivates an account deleted within the grace period, given its email address
// and password, runs the recovery hooks, emails a confirmation and signs the user in.
func (s *Service) Recover(ctx context.Context, email, password string, c auth.Client) (auth.IssuedToken, auth.User, error) {
	a, _, err := s.recoverable(ctx, email, password)
	if err != nil {
		return auth.IssuedToken{}, auth.User{}, err
	}
	var status string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if status, err = s.accounts.MarkRecovered(ctx, tx, a.id, db.Time(a.deletedAt.Int64)); err != nil {
			return err
		}
		if err := s.runHooks(ctx, tx, &s.onRecover, a.id); err != nil {
			return fmt.Errorf("privacy: recovery hook: %w", err)
		}
		return s.notify(ctx, tx, a, deletionCancelled, time.Time{})
	})
	if err != nil {
		return auth.IssuedToken{}, auth.User{}, err
	}
	s.logger.Info("deleted account recovered", "user_id", a.id)
	if status != auth.StatusActive {
		return auth.IssuedToken{}, auth.User{}, errs.E(errs.Forbidden, "the account is recovered but suspended; contact support")
	}
	tok, err := s.accounts.IssueSession(ctx, a.id, auth.MethodPassword, c)
	if err != nil {
		return auth.IssuedToken{}, auth.User{}, err
	}
	s.accounts.RecordSignIn(ctx, a.id, auth.MethodPassword, c)
	u, err := s.accounts.UserByID(ctx, a.id)
	return tok, u, err
}
