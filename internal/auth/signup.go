package auth

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/ratelimit"
)

// limit checks each rule against its subject and returns the first refusal.
func (s *Service) limit(ctx context.Context, checks ...limitCheck) error {
	for _, c := range checks {
		if err := s.limiter.Allow(ctx, c.rule, c.subject); err != nil {
			return err
		}
	}
	return nil
}

type limitCheck struct {
	rule    ratelimit.Rule
	subject string
}

// accepted is the answer of every route that must not reveal whether an address has an
// account: identical whatever happened behind it (ACC-4).
type accepted struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	// Admin is true only for the first account of a fresh install, which becomes the
	// server's admin (signupRole); it says nothing about any other address.
	Admin bool `json:"admin,omitempty"`
}

var signupAccepted = accepted{Status: "accepted", Message: "Check your inbox: we sent a link to confirm your address. You can sign in meanwhile."}

type signupRequest struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Password     string `json:"password"`
	AgeConfirmed bool   `json:"age_confirmed"`
}

// handleSignup creates an account and emails a verification link. For an address that
// already has an account the answer is the same, and the owner is told by email instead.
func (s *Service) handleSignup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req signupRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	ip := s.ip(r)
	email := NormalizeEmail(req.Email)
	if err := s.limit(ctx, limitCheck{limitSignupIP, ip}, limitCheck{limitSignupEmail, email}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.validateSignup(&req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	// Signup velocity (ACC-10): counted before the address is looked up, so the limit
	// says nothing about which addresses exist.
	if err := s.limiter.Allow(ctx, s.signupVelocity(), ip); err != nil {
		// Only a refusal gets its own message; a failure of the store stays an internal
		// error (and its *errs.Error is shared, so it is copied, never changed).
		if e, ok := errs.As(err); ok && e.Code == errs.RateLimited {
			c := *e
			c.Message = "Too many new accounts were created from your network today. Try again tomorrow."
			err = &c
		}
		httpx.Error(w, r, err)
		return
	}
	// The password is hashed in every case, so both branches take as long.
	hash, err := s.hashPassword(req.Password)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	admin := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		admin = false
		existing, err := s.userByEmail(ctx, tx, req.Email)
		if err == nil {
			return s.mail.Send(ctx, tx, "signup_existing", existing.ID, existing.Email, map[string]any{
				"Name": existing.Name, "LoginLink": s.link("/login", ""), "ResetLink": s.link("/forgot-password", ""),
			})
		}
		if !errs.Is(err, errs.NotFound) {
			return err
		}
		role, err := s.signupRole(ctx, tx)
		if err != nil {
			return err
		}
		id, err := s.insertUserHashed(ctx, tx, NewUser{Email: req.Email, Name: req.Name, Role: role}, hash)
		if err != nil {
			return err
		}
		admin = role == RoleAdmin
		if err := s.onSignup.run(ctx, tx, id); err != nil {
			return err
		}
		return s.sendVerification(ctx, tx, id, req.Name, email)
	})
	if errs.Is(err, errs.Conflict) {
		err, admin = nil, false // a concurrent sign-up with the same address won; answer alike
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if admin {
		httpx.JSON(w, http.StatusAccepted, accepted{Status: signupAccepted.Status, Admin: true,
			Message: signupAccepted.Message + " Yours is the first account on this server, so it is the admin: the admin area shows the outbox."})
		return
	}
	httpx.JSON(w, http.StatusAccepted, signupAccepted)
}

func (s *Service) validateSignup(req *signupRequest) error {
	email, err := validateEmail(req.Email)
	if err != nil {
		return err
	}
	if req.Name, err = validateName(req.Name, email); err != nil {
		return err
	}
	if !req.AgeConfirmed {
		return errs.InvalidField("age_confirmed", "Confirm that you are 18 or older to create an account.")
	}
	if err := checkPassword("password", req.Password); err != nil {
		return err
	}
	return s.checkDomain("email", email)
}

// signupVelocity is the per-IP limit on new accounts (ACC-10).
func (s *Service) signupVelocity() ratelimit.Rule {
	return ratelimit.Rule{Name: "signup_velocity_ip", Max: s.cfg.SignupsPerIPPerDay, Window: 24 * time.Hour}
}

// sendVerification issues a verification token and emails its link inside tx.
func (s *Service) sendVerification(ctx context.Context, tx *sql.Tx, userID, name, email string) error {
	tok, err := s.issueAccountToken(ctx, tx, userID, purposeVerifyEmail, email)
	if err != nil {
		return err
	}
	return s.mail.Send(ctx, tx, "verify_email", userID, email, map[string]any{
		"Name": name, "Link": s.link("/verify-email", tok),
	})
}
