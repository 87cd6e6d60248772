package auth

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/errs"
)

// AccountMailArgs is the job behind password-reset and verify-email/resend requests. The
// request only validates, rate-limits and inserts this job, the same work whether or not
// the address has an account, so neither its answer nor its timing tells them apart; the
// job looks the address up and sends the link, or nothing.
type AccountMailArgs struct {
	// Purpose is purposePasswordReset or purposeVerifyEmail.
	Purpose string `json:"purpose"`
	// Email is the normalized address the request named.
	Email string `json:"email"`
}

// Kind implements river.JobArgs.
func (AccountMailArgs) Kind() string { return "auth_account_mail" }

// InsertOpts retries a failing lookup a few times; a link that comes hours late is no use.
func (AccountMailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type accountMailWorker struct {
	river.WorkerDefaults[AccountMailArgs]
	svc *Service
}

// Timeout bounds one attempt.
func (w *accountMailWorker) Timeout(*river.Job[AccountMailArgs]) time.Duration {
	return 30 * time.Second
}

func (w *accountMailWorker) Work(ctx context.Context, job *river.Job[AccountMailArgs]) error {
	return w.svc.sendAccountMail(ctx, job.Args)
}

// enqueueAccountMail inserts the job for a request naming email, in its own transaction.
func (s *Service) enqueueAccountMail(ctx context.Context, purpose, email string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.jobs().Insert(ctx, tx, AccountMailArgs{Purpose: purpose, Email: email}, nil)
		return err
	})
}

// sendAccountMail does what a password-reset or resend request asked for: a reset link to
// an active account, a verification link to an active account whose address is not
// verified yet, and nothing otherwise.
func (s *Service) sendAccountMail(ctx context.Context, a AccountMailArgs) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.userByEmail(ctx, tx, a.Email)
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !u.active() {
			return nil
		}
		switch a.Purpose {
		case purposePasswordReset:
			_, err = s.sendReset(ctx, tx, u)
			return err
		case purposeVerifyEmail:
			if u.EmailVerified {
				return nil
			}
			return s.sendVerification(ctx, tx, u.ID, u.Name, u.Email)
		}
		return fmt.Errorf("auth: account mail: unknown purpose %q", a.Purpose)
	})
}
