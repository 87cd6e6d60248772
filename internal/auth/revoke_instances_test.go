package auth_test

import (
	"net/http"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestRevocationImmediateAcrossInstances: a session signed out on one instance is
// refused by the next request on another, even right after that instance served it (and
// so remembers its token).
func TestRevocationImmediateAcrossInstances(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		a := apptest.Start(t, tg, apptest.Options{})
		b := apptest.Start(t, tg, apptest.Options{DataDir: a.Config.DataDir})
		userID, token := authtest.NewUser(t, a)
		other := authtest.Token(t, a, userID)

		// Both instances have served both tokens.
		for _, s := range []*apptest.Server{a, b} {
			for _, tok := range []string{token, other} {
				if res := s.Do("GET", "/api/v1/me", tok, nil); res.Status != 200 {
					t.Fatalf("before sign-out: %d %s", res.Status, res.Body)
				}
			}
		}
		// Signed out on a: b refuses the token at once, and keeps the other session.
		if res := a.Do("POST", "/api/v1/auth/logout", token, nil); res.Status >= 300 {
			t.Fatalf("logout: %d %s", res.Status, res.Body)
		}
		if res := b.Do("GET", "/api/v1/me", token, nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("instance b after sign-out on a: %d %s", res.Status, res.Body)
		}
		if res := b.Do("GET", "/api/v1/me", other, nil); res.Status != 200 {
			t.Fatalf("the other session on b: %d %s", res.Status, res.Body)
		}
		// Signed out everywhere on b: a refuses the other token at once.
		if res := b.Do("POST", "/api/v1/auth/logout-all", other, nil); res.Status >= 300 {
			t.Fatalf("logout-all: %d %s", res.Status, res.Body)
		}
		for name, s := range map[string]*apptest.Server{"a": a, "b": b} {
			if res := s.Do("GET", "/api/v1/me", other, nil); res.Status != http.StatusUnauthorized {
				t.Fatalf("instance %s after sign-out everywhere: %d %s", name, res.Status, res.Body)
			}
		}
	})
}
