package auth

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/httpx"
)

var resetAccepted = accepted{Status: "accepted", Message: "If this address belongs to an account, a link to reset its password is on its way. It works for one hour."}

// handlePasswordReset emails a reset link. The answer is the same for unknown addresses,
// after the same work: the lookup happens later, in a job (AccountMailArgs).
func (s *Service) handlePasswordReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req emailRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	email, err := validateEmail(req.Email)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.limit(ctx, limitCheck{limitResetIP, s.ip(r)}, limitCheck{limitResetEmail, email}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.enqueueAccountMail(ctx, purposePasswordReset, email); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusAccepted, resetAccepted)
}

// sendReset issues a reset token for u, emails its link inside tx and returns the link.
func (s *Service) sendReset(ctx context.Context, tx *sql.Tx, u User) (string, error) {
	tok, err := s.issueAccountToken(ctx, tx, u.ID, purposePasswordReset, u.Email)
	if err != nil {
		return "", err
	}
	link := s.link("/reset-password", tok)
	return link, s.mail.Send(ctx, tx, "password_reset", u.ID, u.Email, map[string]any{"Name": u.Name, "Link": link})
}

type resetConfirmRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// handlePasswordResetConfirm sets a new password with a reset token and signs the account
// out everywhere (ACC-4). Opening the link proves the mailbox, so the address counts as
// verified.
func (s *Service) handlePasswordResetConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req resetConfirmRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.limiter.Allow(ctx, limitResetDoneIP, s.ip(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	hash, err := s.hashPassword(req.Password)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := s.consumeAccountToken(ctx, tx, req.Token, purposePasswordReset)
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2,
				email_verified_at = CASE WHEN email = $3 THEN COALESCE(email_verified_at, $2) ELSE email_verified_at END
			WHERE id = $4 AND status = 'active' AND deleted_at IS NULL`, hash, db.Millis(now), t.Email, t.UserID)
		if err != nil {
			return fmt.Errorf("auth: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errTokenInvalid
		}
		return revokeSessions(ctx, tx, t.UserID, "", now)
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "password_reset", "message": "Your password is changed and every session was signed out. Sign in with the new password."})
}
