package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"myally.app/ally/internal/db"
)

// googleFlowLifetime bounds a sign-in from start to callback; grants wait for the web app
// for googleGrantLifetime.
const (
	googleFlowLifetime  = 10 * time.Minute
	googleGrantLifetime = 5 * time.Minute
	googleCookie        = "ally_oidc"
	googleCookiePath    = "/api/v1/auth/google"
)

// googleProvider talks to the OpenID Connect provider. Discovery happens on first use, so
// the server starts even when the provider is unreachable.
type googleProvider struct {
	clientID, secret, issuer, redirectURL string
	httpClient                            *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

func newGoogleProvider(clientID, secret, issuer, publicURL string) *googleProvider {
	if clientID == "" {
		return nil
	}
	return &googleProvider{
		clientID: clientID, secret: secret, issuer: issuer,
		redirectURL: publicURL + googleCookiePath + "/callback",
		httpClient:  &http.Client{Timeout: 15 * time.Second},
	}
}

func (g *googleProvider) discover(ctx context.Context) (*oidc.Provider, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.provider != nil {
		return g.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, g.httpClient), g.issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discover %s: %w", g.issuer, err)
	}
	g.provider = p
	return p, nil
}

func (g *googleProvider) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: g.clientID, ClientSecret: g.secret, RedirectURL: g.redirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// googleClaims are the ID token claims Ally uses.
type googleClaims struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	Picture       string `json:"picture"`
}

// googleFlow is a sign-in in progress, stored until its callback.
type googleFlow struct {
	nonce, verifier string
}

// startFlow stores a new flow and returns the provider URL to send the browser to and the
// binding secret for its cookie.
func (s *Service) startGoogleFlow(ctx context.Context) (authURL, binding string, err error) {
	p, err := s.google.discover(ctx)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier, binding := newSecret(), newSecret(), oauth2.GenerateVerifier(), newSecret()
	now := s.now()
	_, err = s.db.W.ExecContext(ctx, `INSERT INTO oauth_states (state_hash, binding_hash, nonce, verifier, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, hashSecret(state), hashSecret(binding), nonce, verifier,
		db.Millis(now), db.Millis(now.Add(googleFlowLifetime)))
	if err != nil {
		return "", "", fmt.Errorf("auth: store sign-in state: %w", err)
	}
	u := s.google.oauth(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "select_account"))
	return u, binding, nil
}

var errFlow = errors.New("sign-in state missing, expired, used or from another browser")

// takeGoogleFlow removes and returns the flow named by state, if the browser holds its
// binding secret and it has not expired. Each state works once.
func (s *Service) takeGoogleFlow(ctx context.Context, state, binding string) (googleFlow, error) {
	var f googleFlow
	var bindingHash string
	var expires int64
	if state == "" {
		return f, errFlow
	}
	// The state is spent by any attempt, even one from the wrong browser.
	err := s.db.W.QueryRowContext(ctx, `DELETE FROM oauth_states WHERE state_hash = $1
		RETURNING binding_hash, nonce, verifier, expires_at`, hashSecret(state)).Scan(&bindingHash, &f.nonce, &f.verifier, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return f, errFlow
	}
	if err != nil {
		return f, fmt.Errorf("auth: read sign-in state: %w", err)
	}
	if binding == "" || subtle.ConstantTimeCompare([]byte(bindingHash), []byte(hashSecret(binding))) != 1 || db.Millis(s.now()) >= expires {
		return f, errFlow
	}
	return f, nil
}

// googleError is a refusal shown to the user on the web app's sign-in page.
type googleError struct {
	code  string // query value: google_failed, google_email_unverified, …
	cause error
}

func (e *googleError) Error() string { return e.code + ": " + e.cause.Error() }

// finishGoogleFlow exchanges the code (with the PKCE verifier), verifies the ID token
// (signature, issuer, audience, expiry with go-oidc; nonce and email_verified here) and
// returns its claims.
func (s *Service) finishGoogleFlow(ctx context.Context, f googleFlow, code string) (googleClaims, error) {
	var c googleClaims
	p, err := s.google.discover(ctx)
	if err != nil {
		return c, err
	}
	octx := oidc.ClientContext(ctx, s.google.httpClient)
	tok, err := s.google.oauth(p).Exchange(octx, code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		// The provider's error body can echo the code: log its error code only.
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			err = fmt.Errorf("token endpoint answered %d %s", re.Response.StatusCode, re.ErrorCode)
		}
		return c, &googleError{"google_failed", fmt.Errorf("exchange code: %w", err)}
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return c, &googleError{"google_failed", errors.New("no id_token in the token response")}
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.google.clientID, Now: s.now}).Verify(octx, raw)
	if err != nil {
		return c, &googleError{"google_failed", fmt.Errorf("verify id token: %w", err)}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.nonce)) != 1 {
		return c, &googleError{"google_failed", errors.New("id token nonce does not match")}
	}
	if err := idt.Claims(&c); err != nil {
		return c, &googleError{"google_failed", fmt.Errorf("read claims: %w", err)}
	}
	if c.Subject == "" || c.Email == "" {
		return c, &googleError{"google_failed", errors.New("id token lacks subject or email")}
	}
	if !c.EmailVerified {
		return c, &googleError{"google_email_unverified", errors.New("email not verified by the provider")}
	}
	c.Email = NormalizeEmail(c.Email)
	return c, nil
}
