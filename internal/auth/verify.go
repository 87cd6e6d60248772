package auth

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

type tokenRequest struct {
	Token string `json:"token"`
}

// handleVerifyEmail confirms an address with the token from a verification or
// email-change link.
func (s *Service) handleVerifyEmail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req tokenRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.limiter.Allow(ctx, limitVerifyIP, s.ip(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	var email string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := s.consumeAccountToken(ctx, tx, req.Token, purposeVerifyEmail, purposeEmailChange)
		if err != nil {
			return err
		}
		email = t.Email
		return s.confirmEmail(ctx, tx, t)
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "verified", "email": email})
}

// confirmEmail marks the token's address verified; for an email change it becomes the
// account's address.
func (s *Service) confirmEmail(ctx context.Context, tx *sql.Tx, t accountToken) error {
	now := db.Millis(s.now())
	if t.Purpose == purposeVerifyEmail {
		res, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1
			WHERE id = $2 AND email = $3`, now, t.UserID, t.Email)
		if err != nil {
			return fmt.Errorf("auth: verify email: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errTokenInvalid // the address changed since the link was sent
		}
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3`, t.Email, now, t.UserID)
	if db.IsUniqueViolation(err) {
		return errs.Wrap(err, errs.Conflict, "another account uses this address now; the change was not made")
	}
	if err != nil {
		return fmt.Errorf("auth: change email: %w", err)
	}
	// Links sent to the old address must not work for the new one.
	_, err = tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL AND purpose <> $3`,
		now, t.UserID, purposeEmailChange)
	return err
}

type emailRequest struct {
	Email string `json:"email"`
}

var resendAccepted = accepted{Status: "accepted", Message: "If this address belongs to an account that still needs confirming, a new link is on its way."}

// handleResend sends a new verification link. It answers the same whether or not the
// address has an account, or is already verified, after the same work: the lookup happens
// later, in a job (AccountMailArgs). A signed-in caller may omit the email.
func (s *Service) handleResend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req emailRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Email == "" {
		if raw := bearer(r); raw != "" {
			if p, err := s.authenticate(ctx, raw); err == nil {
				if u, err := s.UserByID(ctx, p.UserID); err == nil {
					req.Email = u.Email
				}
			}
		}
	}
	email, err := validateEmail(req.Email)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.limit(ctx, limitCheck{limitResendIP, s.ip(r)}, limitCheck{limitResendEmail, email}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.enqueueAccountMail(ctx, purposeVerifyEmail, email); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusAccepted, resendAccepted)
}
