package auth_test

import (
	"net/http"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestRateLimitSharedAcrossInstances covers ACC-6: two instances on one database enforce
// one limit, so a guesser gains nothing by spreading attempts over them.
func TestRateLimitSharedAcrossInstances(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		a := apptest.Start(t, tg, apptest.Options{})
		b := apptest.Start(t, tg, apptest.Options{DataDir: a.Config.DataDir})
		authtest.NewUser(t, a, authtest.Email("victim@example.com"))
		for i := range 10 {
			s := a
			if i%2 == 1 {
				s = b
			}
			if res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "victim@example.com", "password": "wrong guess"}); res.Status != 401 {
				t.Fatalf("attempt %d on instance %d: %d %s", i, i%2, res.Status, res.Body)
			}
		}
		for name, s := range map[string]*apptest.Server{"a": a, "b": b} {
			res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "victim@example.com", "password": authtest.Password})
			if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
				t.Fatalf("instance %s after 10 shared failures: %d %s", name, res.Status, res.Body)
			}
		}
	})
}
