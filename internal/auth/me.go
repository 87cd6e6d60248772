package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Profile reads the account with what the settings page shows beside it: the Google
// picture and an email change waiting for confirmation.
func (s *Service) Profile(ctx context.Context, userID string) (User, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return u, err
	}
	err = s.db.R.QueryRowContext(ctx, `SELECT picture_url FROM identities WHERE user_id = $1 AND picture_url <> ''
		ORDER BY last_used_at DESC LIMIT 1`, userID).Scan(&u.PictureURL)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("auth: read picture: %w", err)
	}
	err = s.db.R.QueryRowContext(ctx, `SELECT email FROM account_tokens WHERE user_id = $1 AND purpose = $2
		AND used_at IS NULL AND expires_at > $3 ORDER BY created_at DESC LIMIT 1`,
		userID, purposeEmailChange, db.Millis(s.now())).Scan(&u.PendingEmail)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("auth: read pending email: %w", err)
	}
	return u, nil
}

// handleMe returns the signed-in user's account.
func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	u, err := s.Profile(r.Context(), p.UserID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, u)
}

// updateMeRequest holds the settings to change; absent fields stay as they are.
type updateMeRequest struct {
	Name            *string `json:"name"`
	Timezone        *string `json:"timezone"`
	Email           *string `json:"email"`
	Password        *string `json:"password"`
	CurrentPassword string  `json:"current_password"`
}

// handleUpdateMe changes the name, timezone, email address (confirmed by a link to the new
// address; the old one is told) or password (other sessions are signed out). Changing
// the email address or password needs the current password.
func (s *Service) handleUpdateMe(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, _ := FromContext(ctx)
	var req updateMeRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	u, err := s.UserByID(ctx, p.UserID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sensitive := req.Email != nil || req.Password != nil
	if sensitive {
		if err := s.limiter.Allow(ctx, limitAccountChange, u.ID); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if err := s.checkCurrentPassword(u, req.CurrentPassword); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	ch, err := s.prepareUpdate(u, &req)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.applyUpdate(ctx, tx, u, p.SessionID, ch) }); err != nil {
		httpx.Error(w, r, err)
		return
	}
	out, err := s.Profile(ctx, u.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, out)
}

// checkCurrentPassword re-authenticates a sensitive change.
func (s *Service) checkCurrentPassword(u User, current string) error {
	if !u.HasPassword {
		return errs.InvalidField("current_password", "your account has no password yet; set one with a password reset first")
	}
	if current == "" {
		return errs.InvalidField("current_password", "enter your current password to change your email address or password")
	}
	if !s.passwordMatches(u.passwordHash, current) {
		return &errs.Error{Code: errs.Forbidden, Field: "current_password", Message: "The current password is not right."}
	}
	return nil
}

// accountChange is a validated update.
type accountChange struct {
	name, timezone, email, passwordHash string
}

func (s *Service) prepareUpdate(u User, req *updateMeRequest) (accountChange, error) {
	var ch accountChange
	var err error
	if req.Name != nil {
		if strings.TrimSpace(*req.Name) == "" {
			return ch, errs.InvalidField("name", "name must not be empty")
		}
		if ch.name, err = validateName(*req.Name, u.Email); err != nil {
			return ch, err
		}
	}
	if req.Timezone != nil {
		if ch.timezone, err = validateTimezone(*req.Timezone); err != nil {
			return ch, err
		}
	}
	if req.Email != nil {
		if ch.email, err = validateEmail(*req.Email); err != nil {
			return ch, err
		}
		if err := s.checkDomain("email", ch.email); err != nil {
			return ch, err
		}
		if ch.email == u.Email {
			ch.email = ""
		}
	}
	if req.Password != nil {
		if ch.passwordHash, err = s.hashPassword(*req.Password); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

func (s *Service) applyUpdate(ctx context.Context, tx *sql.Tx, u User, sessionID string, ch accountChange) error {
	now := s.now()
	set := func(col, val string) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET `+col+` = $1, updated_at = $2 WHERE id = $3`, val, db.Millis(now), u.ID)
		if err != nil {
			return fmt.Errorf("auth: update %s: %w", col, err)
		}
		return nil
	}
	if ch.name != "" {
		if err := set("name", ch.name); err != nil {
			return err
		}
		u.Name = ch.name
	}
	if ch.timezone != "" {
		if err := set("timezone", ch.timezone); err != nil {
			return err
		}
	}
	if ch.passwordHash != "" {
		if err := set("password_hash", ch.passwordHash); err != nil {
			return err
		}
		if err := revokeSessions(ctx, tx, u.ID, sessionID, now); err != nil {
			return err
		}
		if err := s.mail.Send(ctx, tx, "password_changed", u.ID, u.Email, map[string]any{
			"Name": u.Name, "ResetLink": s.link("/forgot-password", ""),
		}); err != nil {
			return err
		}
	}
	if ch.email != "" {
		return s.startEmailChange(ctx, tx, u, ch.email)
	}
	return nil
}

// startEmailChange records the change as pending, emails a confirmation link to the new
// address and a notice to the old one. For an address another account owns, the answer
// and the work are the same (ACC-4), but the owner of that address is told instead, as at
// sign-up, and no link is sent anywhere: the pending change can never be completed.
func (s *Service) startEmailChange(ctx context.Context, tx *sql.Tx, u User, newEmail string) error {
	owner, err := s.userByEmail(ctx, tx, newEmail)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	tok, err := s.issueAccountToken(ctx, tx, u.ID, purposeEmailChange, newEmail)
	if err != nil {
		return err
	}
	if owner.ID != "" {
		err = s.mail.Send(ctx, tx, "email_change_existing", owner.ID, owner.Email, map[string]any{
			"Name": owner.Name, "LoginLink": s.link("/login", ""), "ResetLink": s.link("/forgot-password", ""),
		})
	} else {
		err = s.mail.Send(ctx, tx, "email_change_verify", u.ID, newEmail, map[string]any{
			"Name": u.Name, "NewEmail": newEmail, "Link": s.link("/verify-email", tok),
		})
	}
	if err != nil {
		return err
	}
	return s.mail.Send(ctx, tx, "email_change_notice", u.ID, u.Email, map[string]any{
		"Name": u.Name, "NewEmail": newEmail, "ResetLink": s.link("/forgot-password", ""),
	})
}
