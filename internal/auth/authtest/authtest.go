// Package authtest creates signed-in users for API tests in one line.
package authtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth"
)

// Password is the password NewUser gives its users unless told otherwise.
const Password = "correct horse battery staple"

// Option adjusts the user NewUser creates.
type Option func(*auth.NewUser)

// Unverified makes a user whose email address is not verified yet.
func Unverified() Option { return func(n *auth.NewUser) { n.Verified = false } }

// Admin makes a user with the admin role.
func Admin() Option { return func(n *auth.NewUser) { n.Role = auth.RoleAdmin } }

// Email sets the user's address (default: a unique random one).
func Email(e string) Option { return func(n *auth.NewUser) { n.Email = e } }

// Name sets the user's display name.
func Name(name string) Option { return func(n *auth.NewUser) { n.Name = name } }

// WithPassword sets the user's password (default: Password).
func WithPassword(pw string) Option { return func(n *auth.NewUser) { n.Password = pw } }

// NewUser creates a verified user with a live session on s and returns the user's id and
// bearer token.
func NewUser(t testing.TB, s *apptest.Server, o ...Option) (userID, token string) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	n := auth.NewUser{
		Email:    "user-" + hex.EncodeToString(b) + "@example.com",
		Name:     "Test User",
		Password: Password,
		Verified: true,
	}
	for _, opt := range o {
		opt(&n)
	}
	ctx := context.Background()
	u, err := s.Auth.CreateUser(ctx, n)
	if err != nil {
		t.Fatalf("authtest: create user: %v", err)
	}
	tok, err := s.Auth.IssueSession(ctx, u.ID, auth.MethodPassword, auth.Client{IP: "127.0.0.1", UserAgent: "authtest"})
	if err != nil {
		t.Fatalf("authtest: issue session: %v", err)
	}
	return u.ID, tok.Token
}

// Token signs in an existing user again, returning a new session's token.
func Token(t testing.TB, s *apptest.Server, userID string) string {
	t.Helper()
	tok, err := s.Auth.IssueSession(context.Background(), userID, auth.MethodPassword, auth.Client{IP: "127.0.0.1", UserAgent: "authtest"})
	if err != nil {
		t.Fatalf("authtest: issue session: %v", err)
	}
	return tok.Token
}
