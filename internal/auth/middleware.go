package auth

import (
	"context"
	"net/http"
	"strings"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// bearer returns the token of an "Authorization: Bearer …" header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Require lets a request through only with a valid bearer token naming a live session of
// an active account, and puts its Principal in the context. Otherwise it answers 401
// unauthenticated.
func (s *Service) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := bearer(r)
		if raw == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ally"`)
			httpx.Error(w, r, errs.E(errs.Unauthenticated, "sign in first: send your session token as Authorization: Bearer <token>"))
			return
		}
		p, err := s.authenticate(r.Context(), raw)
		if err != nil {
			if errs.Is(err, errs.Unauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ally", error="invalid_token"`)
			}
			httpx.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// ErrEmailNotVerified is the code of the refusal RequireVerified sends.
const ErrEmailNotVerified = "email_not_verified"

// RequireVerified is Require for features that need a verified email address (chat, ACC-2):
// an unverified user gets 403 email_not_verified. With ALLY_REQUIRE_VERIFIED_EMAIL=false
// it is the same as Require.
func (s *Service) RequireVerified(next http.Handler) http.Handler {
	return s.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := FromContext(r.Context())
		if !p.EmailVerified && s.cfg.RequireVerifiedEmail {
			httpx.JSON(w, http.StatusForbidden, httpx.ErrorBody{Error: httpx.ErrorDetail{
				Code:    ErrEmailNotVerified,
				Message: "verify your email address first: open the link we emailed you, or ask for a new one in Settings",
			}})
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// RequireAdmin is Require for the admin area (ACC-9): a signed-in user without the admin
// role gets 404 not_found, the same answer as for an id that is not theirs, so the area
// does not announce itself. A suspended or deleted admin is refused by Require.
func (s *Service) RequireAdmin(next http.Handler) http.Handler {
	return s.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, _ := FromContext(r.Context()); !p.IsAdmin() {
			httpx.Error(w, r, errs.NotFoundf("no such endpoint"))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// AuthenticateSession checks that sessionID is a live session of userID's active account
// and returns its Principal, as a bearer token naming it would (the admin job-queue
// cookie is bound to a session this way, so signing out or suspending applies at once).
func (s *Service) AuthenticateSession(ctx context.Context, userID, sessionID string) (Principal, error) {
	return s.lookupSession(ctx, userID, sessionID)
}
