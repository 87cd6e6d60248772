package auth

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// SessionLifetime is how long a session token is valid after it is issued (ACC-3).
const SessionLifetime = 7 * 24 * time.Hour

// tokenType marks Ally session tokens; a signed token of any other type is refused.
const tokenType = "session"

// sessionClaims are the claims of a session token: the user (sub), the server-side
// session it names (sid) and the token type (typ).
type sessionClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Type      string `json:"typ"`
}

// signToken issues an HS256 token for a session.
func (s *Service) signToken(userID, sessionID string, issued, expires time.Time) (string, error) {
	c := sessionClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(expires),
		},
		SessionID: sessionID,
		Type:      tokenType,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return tok, nil
}

var errBadToken = errors.New("invalid session token")

// parseToken verifies a token's algorithm (HS256 only: "none" and every other algorithm
// are refused), signature, expiry and type, and returns its claims.
func (s *Service) parseToken(raw string) (sessionClaims, error) {
	if c, ok := s.tokens.get(raw, s.now()); ok {
		return c, nil
	}
	var c sessionClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return c, fmt.Errorf("%w: %v", errBadToken, err)
	}
	if c.Type != tokenType || c.Subject == "" || c.SessionID == "" || c.IssuedAt == nil {
		return c, fmt.Errorf("%w: not a session token", errBadToken)
	}
	s.tokens.put(raw, c)
	return c, nil
}

// tokenCacheSize bounds the verified tokens kept; when full, the cache starts over.
const tokenCacheSize = 8192

// tokenCache remembers tokens whose signature and claims were verified, so a client's
// next request skips the decoding and the HMAC. It holds no decision about the session:
// authenticate still reads the session and the account on every request, so a revoked
// session or a suspended account is refused at once, on every instance.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]sessionClaims
}

// get returns the claims of raw if it was verified before and is still within its
// validity at now.
func (t *tokenCache) get(raw string, now time.Time) (sessionClaims, bool) {
	t.mu.Lock()
	c, ok := t.m[raw]
	t.mu.Unlock()
	if !ok || c.ExpiresAt == nil || c.IssuedAt == nil || !now.Before(c.ExpiresAt.Time) || now.Before(c.IssuedAt.Time) {
		return sessionClaims{}, false
	}
	return c, true
}

func (t *tokenCache) put(raw string, c sessionClaims) {
	t.mu.Lock()
	if t.m == nil || len(t.m) >= tokenCacheSize {
		t.m = make(map[string]sessionClaims)
	}
	t.m[raw] = c
	t.mu.Unlock()
}
