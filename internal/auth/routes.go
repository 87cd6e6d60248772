package auth

import (
	"net/http"
	"time"

	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/ratelimit"
)

// Rate limits of the authentication routes (ACC-6): every route is limited per client IP,
// and the ones naming an account also per email address or account, so a distributed
// guesser is held back by the latter.
var (
	limitSignupIP    = ratelimit.Rule{Name: "signup_ip", Max: 30, Window: time.Hour}
	limitSignupEmail = ratelimit.Rule{Name: "signup_email", Max: 5, Window: time.Hour}
	limitLoginIP     = ratelimit.Rule{Name: "login_ip", Max: 60, Window: 15 * time.Minute}
	// Sign-in attempts on one address are limited per client (IP, and device for a known
	// device) and, from devices that never signed in to the account, per address: a
	// guesser spread over many IPs is held back by the latter, which the owner's known
	// devices skip, so the guesser cannot lock the owner out (see device.go).
	limitLoginEmailIP     = ratelimit.Rule{Name: "login_email_ip", Max: 10, Window: 15 * time.Minute}
	limitLoginEmailDevice = ratelimit.Rule{Name: "login_email_device", Max: 10, Window: 15 * time.Minute}
	limitLoginEmail       = ratelimit.Rule{Name: "login_email", Max: 50, Window: time.Hour}
	limitVerifyIP         = ratelimit.Rule{Name: "verify_ip", Max: 30, Window: time.Hour}
	limitResendIP         = ratelimit.Rule{Name: "resend_ip", Max: 20, Window: time.Hour}
	limitResendEmail      = ratelimit.Rule{Name: "resend_email", Max: 3, Window: time.Hour}
	limitResetIP          = ratelimit.Rule{Name: "reset_ip", Max: 20, Window: time.Hour}
	limitResetEmail       = ratelimit.Rule{Name: "reset_email", Max: 3, Window: time.Hour}
	limitResetDoneIP      = ratelimit.Rule{Name: "reset_confirm_ip", Max: 30, Window: time.Hour}
	limitSessionIP        = ratelimit.Rule{Name: "session_ip", Max: 120, Window: time.Hour}
	limitAccountChange    = ratelimit.Rule{Name: "account_change", Max: 10, Window: time.Hour}
	limitGoogleIP         = ratelimit.Rule{Name: "google_ip", Max: 60, Window: time.Hour}
)

// Routes registers the account and authentication routes on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/auth/signup", s.handleSignup)
	mux.HandleFunc("POST /api/v1/auth/login", s.handleLogin)
	mux.Handle("POST /api/v1/auth/logout", s.Require(http.HandlerFunc(s.handleLogout)))
	mux.Handle("POST /api/v1/auth/logout-all", s.Require(http.HandlerFunc(s.handleLogoutAll)))
	mux.HandleFunc("POST /api/v1/auth/verify-email", s.handleVerifyEmail)
	mux.HandleFunc("POST /api/v1/auth/verify-email/resend", s.handleResend)
	mux.HandleFunc("POST /api/v1/auth/password-reset", s.handlePasswordReset)
	mux.HandleFunc("POST /api/v1/auth/password-reset/confirm", s.handlePasswordResetConfirm)
	mux.HandleFunc("GET /api/v1/auth/providers", s.handleProviders)
	mux.HandleFunc("GET /api/v1/auth/google/start", s.handleGoogleStart)
	mux.HandleFunc("GET /api/v1/auth/google/callback", s.handleGoogleCallback)
	mux.HandleFunc("POST /api/v1/auth/google/exchange", s.handleGoogleExchange)

	mux.Handle("GET /api/v1/me", s.Require(http.HandlerFunc(s.handleMe)))
	mux.Handle("PATCH /api/v1/me", s.Require(http.HandlerFunc(s.handleUpdateMe)))
	mux.Handle("GET /api/v1/me/sessions", s.Require(http.HandlerFunc(s.handleListSessions)))
	mux.Handle("DELETE /api/v1/me/sessions/{id}", s.Require(http.HandlerFunc(s.handleRevokeSession)))
	mux.Handle("GET /api/v1/me/sign-ins", s.Require(http.HandlerFunc(s.handleListSignIns)))
}

// handleProviders tells the sign-in page which ways to sign in this server offers.
func (s *Service) handleProviders(w http.ResponseWriter, r *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]bool{
		"password":               true,
		"google":                 s.google != nil,
		"require_verified_email": s.cfg.RequireVerifiedEmail,
	})
}

// client describes the request's origin for sessions and sign-in history.
func (s *Service) client(r *http.Request) Client {
	return Client{IP: s.ip(r), UserAgent: r.UserAgent()}
}
