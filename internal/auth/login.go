package auth

import (
	"database/sql"
	"net/http"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginResponse is the answer to a successful sign-in.
type LoginResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	User      User   `json:"user"`
}

var errBadCredentials = errs.E(errs.Unauthenticated, "The email address or password is not right. Check them and try again.")

// handleLogin signs in with email and password. Unknown addresses and wrong passwords get
// the same answer after the same work.
func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req loginRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	c := s.client(r)
	email := NormalizeEmail(req.Email)
	if err := s.limit(ctx, limitCheck{limitLoginIP, c.IP}, limitCheck{limitLoginEmailIP, loginSubject(email, c.IP)}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Email == "" || req.Password == "" {
		httpx.Error(w, r, errs.E(errs.Invalid, "Enter your email address and password."))
		return
	}
	u, err := s.userByEmail(ctx, s.db.R, req.Email)
	if err != nil && !errs.Is(err, errs.NotFound) {
		httpx.Error(w, r, err)
		return
	}
	// A known device is limited on its own; any other client shares the address's limit.
	// Unknown addresses have no known devices, so they answer like real ones.
	check := limitCheck{limitLoginEmail, email}
	dev, err := s.knownDevice(ctx, u.ID, c)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if dev != "" {
		check = limitCheck{limitLoginEmailDevice, loginSubject(email, dev)}
	}
	if err := s.limit(ctx, check); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !s.passwordMatches(u.passwordHash, req.Password) {
		if u.ID != "" {
			s.recordSignIn(ctx, u.ID, MethodPassword, false, c)
		}
		httpx.Error(w, r, errBadCredentials)
		return
	}
	if err := s.accountUsable(u); err != nil {
		s.recordSignIn(ctx, u.ID, MethodPassword, false, c)
		httpx.Error(w, r, err)
		return
	}
	s.finishSignIn(w, r, u, MethodPassword, c)
}

// loginSubject names a rate-limit counter of one address from one client.
func loginSubject(email, client string) string {
	if email == "" {
		return ""
	}
	return email + "\x00" + client
}

// accountUsable refuses suspended and deleted accounts. A deleted account still within
// its recovery window is refused with code account_deleted and the time until which it
// can be recovered (POST /api/v1/me/recover); only someone who proved the password or
// the Google identity gets this far, so it reveals nothing to others.
func (s *Service) accountUsable(u User) error {
	switch {
	case u.deleted:
		until := u.deletedAt.Add(s.cfg.DeletionGrace)
		if !u.deletedAt.IsZero() && s.now().Before(until) {
			e := errs.E(errs.AccountDeleted, "this account was deleted; it can be recovered until %s", until.Format("2 January 2006"))
			e.Details = map[string]any{"recoverable_until": until.Truncate(time.Second)}
			return e
		}
		return errs.E(errs.Forbidden, "this account has been deleted")
	case u.status != StatusActive:
		return errs.E(errs.Forbidden, "this account is suspended; contact the operator of this service")
	}
	return nil
}

// finishSignIn starts a session for u and answers with its token.
func (s *Service) finishSignIn(w http.ResponseWriter, r *http.Request, u User, method string, c Client) {
	ctx := r.Context()
	var tok IssuedToken
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		tok, err = s.createSession(ctx, tx, u.ID, method, c)
		return err
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.recordSignIn(ctx, u.ID, method, true, c)
	full, err := s.UserByID(ctx, u.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, LoginResponse{Token: tok.Token, ExpiresAt: tok.ExpiresAt.Format("2006-01-02T15:04:05Z07:00"), User: full})
}

// handleLogout revokes the session the request was made with.
func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	if err := s.limiter.Allow(r.Context(), limitSessionIP, s.ip(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.RevokeSession(r.Context(), p.UserID, p.SessionID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}

// handleLogoutAll revokes every session of the user, this one included.
func (s *Service) handleLogoutAll(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	if err := s.limiter.Allow(r.Context(), limitSessionIP, s.ip(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.RevokeAllSessions(r.Context(), p.UserID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}
