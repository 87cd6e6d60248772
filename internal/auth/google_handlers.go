package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Grant kinds: a finished callback waiting for the web app.
const (
	grantLogin  = "login"
	grantSignup = "signup"
)

// googleEnabled answers 404 when Google sign-in is not configured and applies the
// per-IP limit.
func (s *Service) googleEnabled(w http.ResponseWriter, r *http.Request) bool {
	if s.google == nil {
		httpx.Error(w, r, errs.E(errs.NotFound, "Google sign-in is not enabled on this server"))
		return false
	}
	if err := s.limiter.Allow(r.Context(), limitGoogleIP, s.ip(r)); err != nil {
		httpx.Error(w, r, err)
		return false
	}
	return true
}

// handleGoogleStart sends the browser to Google with a fresh state, nonce and PKCE
// challenge; a short-lived cookie binds the flow to this browser.
func (s *Service) handleGoogleStart(w http.ResponseWriter, r *http.Request) {
	if !s.googleEnabled(w, r) {
		return
	}
	authURL, binding, err := s.startGoogleFlow(r.Context())
	if err != nil {
		httpx.Error(w, r, errs.Wrap(err, errs.Unavailable, "Google sign-in is unavailable right now; try again later"))
		return
	}
	s.setGoogleCookie(w, binding, googleFlowLifetime)
	http.Redirect(w, r, authURL, http.StatusFound)
}

// setGoogleCookie binds a sign-in in progress to this browser. SameSite=Lax lets it ride
// along on the provider's top-level redirect back; it is readable by the server only.
func (s *Service) setGoogleCookie(w http.ResponseWriter, binding string, life time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: googleCookie, Value: binding, Path: googleCookiePath, MaxAge: int(life.Seconds()),
		HttpOnly: true, Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Service) clearGoogleCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: googleCookie, Value: "", Path: googleCookiePath, MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), SameSite: http.SameSiteLaxMode})
}

// googleBinding returns the browser's binding secret, or "".
func googleBinding(r *http.Request) string {
	if c, err := r.Cookie(googleCookie); err == nil {
		return c.Value
	}
	return ""
}

// handleGoogleCallback finishes the provider's side of the flow and sends the browser to
// the web app with a one-time code (never a session token in a URL). Failures go to the
// sign-in page with an error code.
func (s *Service) handleGoogleCallback(w http.ResponseWriter, r *http.Request) {
	if !s.googleEnabled(w, r) {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	fail := func(code string, cause error) {
		s.clearGoogleCookie(w)
		s.logger.Warn("google sign-in refused", "reason", code, "error", cause, "request_id", httpx.RequestID(ctx))
		http.Redirect(w, r, s.cfg.PublicURL+"/login?error="+url.QueryEscape(code), http.StatusFound)
	}
	binding := googleBinding(r)
	flow, err := s.takeGoogleFlow(ctx, q.Get("state"), binding)
	if err != nil {
		fail("google_state", err)
		return
	}
	if e := q.Get("error"); e != "" {
		fail("google_cancelled", fmt.Errorf("provider answered %.40q", e))
		return
	}
	claims, err := s.finishGoogleFlow(ctx, flow, q.Get("code"))
	if err != nil {
		var ge *googleError
		if errors.As(err, &ge) {
			fail(ge.code, ge.cause)
		} else {
			fail("google_failed", err)
		}
		return
	}
	code, kind, err := s.grantGoogle(ctx, claims, binding)
	if err != nil {
		fail("google_failed", err)
		return
	}
	// The cookie now binds the one-time code to this browser until it is exchanged.
	s.setGoogleCookie(w, binding, googleGrantLifetime)
	http.Redirect(w, r, s.cfg.PublicURL+"/auth/google?kind="+kind+"&code="+url.QueryEscape(code), http.StatusFound)
}

// grantGoogle finds or links the account of a verified Google identity and stores a
// one-time grant for the web app: a sign-in, or a new account awaiting the 18+ answer.
func (s *Service) grantGoogle(ctx context.Context, c googleClaims, binding string) (code, kind string, err error) {
	code = newSecret()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		userID, err := s.linkGoogle(ctx, tx, c)
		if err != nil {
			return err
		}
		data := ""
		kind = grantLogin
		var user sql.NullString
		if userID == "" {
			kind = grantSignup
			b, _ := json.Marshal(c)
			data = string(b)
		} else {
			user = sql.NullString{String: userID, Valid: true}
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, `INSERT INTO oauth_grants (code_hash, kind, user_id, data, binding_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, hashSecret(code), kind, user, data, hashSecret(binding), db.Millis(now), db.Millis(now.Add(googleGrantLifetime)))
		return err
	})
	return code, kind, err
}

// linkGoogle returns the account of a Google identity: the one it signed in to before,
// else the account with the same (provider-verified) address, which it is linked to now.
// "" means no account yet.
func (s *Service) linkGoogle(ctx context.Context, tx *sql.Tx, c googleClaims) (string, error) {
	now := db.Millis(s.now())
	var userID string
	err := tx.QueryRowContext(ctx, `UPDATE identities SET email = $1, picture_url = $2, last_used_at = $3
		WHERE issuer = $4 AND subject = $5 RETURNING user_id`, c.Email, c.Picture, now, s.google.issuer, c.Subject).Scan(&userID)
	if err == nil {
		return userID, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("auth: find identity: %w", err)
	}
	u, err := s.userByEmail(ctx, tx, c.Email)
	if errs.Is(err, errs.NotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if err := s.insertIdentity(ctx, tx, u.ID, c); err != nil {
		return "", err
	}
	if u.EmailVerified {
		return u.ID, nil
	}
	// Nobody had proved the mailbox: whoever signed up with this address may not be its
	// owner, who has just proved it through the provider. Their password and sessions go,
	// so a pre-registered account cannot be used to spy on the owner.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = $1, password_hash = NULL, updated_at = $1 WHERE id = $2`, now, u.ID); err != nil {
		return "", fmt.Errorf("auth: verify linked account: %w", err)
	}
	return u.ID, revokeSessions(ctx, tx, u.ID, "", s.now())
}

func (s *Service) insertIdentity(ctx context.Context, tx *sql.Tx, userID string, c googleClaims) error {
	now := db.Millis(s.now())
	_, err := tx.ExecContext(ctx, `INSERT INTO identities (id, user_id, issuer, subject, email, picture_url, created_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, newID(), userID, s.google.issuer, c.Subject, c.Email, c.Picture, now)
	if err != nil {
		return fmt.Errorf("auth: link identity: %w", err)
	}
	return nil
}

type googleExchangeRequest struct {
	Code         string `json:"code"`
	AgeConfirmed bool   `json:"age_confirmed"`
}

// handleGoogleExchange turns a callback's one-time code into a session. A new account
// needs age_confirmed: true first; without it the code stays usable for the retry.
func (s *Service) handleGoogleExchange(w http.ResponseWriter, r *http.Request) {
	if !s.googleEnabled(w, r) {
		return
	}
	ctx := r.Context()
	var req googleExchangeRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	c := s.client(r)
	// A new account counts toward the signup velocity limit; checked before the
	// transaction, which holds SQLite's only writer.
	var kind string
	_ = s.db.R.QueryRowContext(ctx, `SELECT kind FROM oauth_grants WHERE code_hash = $1`, hashSecret(req.Code)).Scan(&kind)
	if kind == grantSignup && req.AgeConfirmed {
		if err := s.limiter.Allow(ctx, s.signupVelocity(), c.IP); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	var userID string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		userID, err = s.redeemGoogleGrant(ctx, tx, req, googleBinding(r))
		return err
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.clearGoogleCookie(w)
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.accountUsable(u); err != nil {
		s.recordSignIn(ctx, u.ID, MethodGoogle, false, c)
		httpx.Error(w, r, err)
		return
	}
	s.finishSignIn(w, r, u, MethodGoogle, c)
}

var errGrantInvalid = errs.InvalidField("code", "this Google sign-in has expired or was already used; start again")

// redeemGoogleGrant uses a grant inside tx and returns the account to sign in to,
// creating it for a new identity.
func (s *Service) redeemGoogleGrant(ctx context.Context, tx *sql.Tx, req googleExchangeRequest, binding string) (string, error) {
	if req.Code == "" || len(req.Code) > 200 || binding == "" {
		return "", errGrantInvalid
	}
	now := s.now()
	var kind, data, bindingHash string
	var user sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT kind, user_id, data, binding_hash FROM oauth_grants
		WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2`, hashSecret(req.Code), db.Millis(now)).Scan(&kind, &user, &data, &bindingHash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errGrantInvalid
	}
	if err != nil {
		return "", fmt.Errorf("auth: read grant: %w", err)
	}
	// Only the browser that went through the sign-in may use its code.
	if subtle.ConstantTimeCompare([]byte(bindingHash), []byte(hashSecret(binding))) != 1 {
		return "", errGrantInvalid
	}
	if kind == grantSignup && !req.AgeConfirmed {
		return "", &errs.Error{Code: errs.Invalid, Field: "age_confirmed", Message: "confirm that you are 18 or older to create your account",
			Details: map[string]any{"age_confirmation_required": true}}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE oauth_grants SET used_at = $1 WHERE code_hash = $2`, db.Millis(now), hashSecret(req.Code)); err != nil {
		return "", fmt.Errorf("auth: use grant: %w", err)
	}
	if kind == grantLogin {
		return user.String, nil
	}
	var c googleClaims
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return "", fmt.Errorf("auth: read grant data: %w", err)
	}
	// Someone may have created the account meanwhile: link to it as the callback would.
	if id, err := s.linkGoogle(ctx, tx, c); err != nil || id != "" {
		return id, err
	}
	name, err := validateName(c.Name, c.Email)
	if err != nil {
		name, _ = validateName("", c.Email)
	}
	role, err := s.signupRole(ctx, tx)
	if err != nil {
		return "", err
	}
	id, err := s.insertUserHashed(ctx, tx, NewUser{Email: c.Email, Name: name, Verified: true, Role: role}, "")
	if err != nil {
		return "", err
	}
	if err := s.onSignup.run(ctx, tx, id); err != nil {
		return "", err
	}
	return id, s.insertIdentity(ctx, tx, id, c)
}
