package admin_test

import (
	"context"
	"net/http"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// adminRoutes is every route of the admin API, with a body for those that take one.
func adminRoutes(userID string) []struct {
	method, path string
	body         any
} {
	return []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/admin/users", nil},
		{"GET", "/api/v1/admin/users/" + userID, nil},
		{"POST", "/api/v1/admin/users/" + userID + "/suspend", map[string]string{}},
		{"POST", "/api/v1/admin/users/" + userID + "/unsuspend", map[string]string{}},
		{"POST", "/api/v1/admin/users/" + userID + "/resend-verification", nil},
		{"POST", "/api/v1/admin/users/" + userID + "/delete", map[string]string{"reason": "abuse"}},
		{"GET", "/api/v1/admin/analytics", nil},
		{"GET", "/api/v1/admin/outbox", nil},
		{"GET", "/api/v1/admin/audit", nil},
		{"POST", "/api/v1/admin/jobs/session", nil},
		{"DELETE", "/api/v1/admin/jobs/session", nil},
		{"GET", "/api/v1/admin/nothing-here", nil},
	}
}

// TestAdminRoutesAnswerNotFoundToOthers: a signed-in user who is not an admin gets 404
// not_found on every admin route, exactly as for an id that is not theirs, and nothing
// changes; without a token the answer is 401; a suspended admin is refused (401) and a
// deleted one too.
func TestAdminRoutesAnswerNotFoundToOthers(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		victim, victimTok := authtest.NewUser(t, s)
		_, userTok := authtest.NewUser(t, s)
		suspended, suspendedTok := authtest.NewUser(t, s, authtest.Admin())
		if _, err := s.Auth.SuspendAccount(context.Background(), suspended); err != nil {
			t.Fatal(err)
		}
		suspendedTok2 := authtest.Token(t, s, suspended) // a session issued after the suspension
		for _, rt := range adminRoutes(victim) {
			res := s.Do(rt.method, rt.path, userTok, rt.body)
			if res.Status != http.StatusNotFound || res.ErrorCode() != "not_found" {
				t.Errorf("non-admin %s %s: %d %s, want 404 not_found", rt.method, rt.path, res.Status, res.Body)
			}
			if res := s.Do(rt.method, rt.path, "", rt.body); res.Status != http.StatusUnauthorized {
				t.Errorf("no token %s %s: %d, want 401", rt.method, rt.path, res.Status)
			}
			for _, tok := range []string{suspendedTok, suspendedTok2} {
				if res := s.Do(rt.method, rt.path, tok, rt.body); res.Status != http.StatusUnauthorized {
					t.Errorf("suspended admin %s %s: %d %s, want 401", rt.method, rt.path, res.Status, res.Body)
				}
			}
		}
		// Nothing changed: the victim still works.
		must(t, get(s, "/api/v1/me", victimTok), http.StatusOK, "victim still signed in")
		// The foreign-id answer of a user route is the same shape.
		foreign := get(s, "/api/v1/conversations/"+victim, userTok)
		if foreign.Status != http.StatusNotFound || foreign.ErrorCode() != "not_found" {
			t.Fatalf("foreign id: %d %s", foreign.Status, foreign.Body)
		}
		// River UI: without the cookie, 404 for everyone.
		if res := get(s, "/admin/jobs/", userTok); res.Status != http.StatusNotFound {
			t.Fatalf("/admin/jobs/ without cookie: %d", res.Status)
		}
	})
}
