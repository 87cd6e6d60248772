package changelog_test

import (
	"context"
	"strings"
	"testing"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

type page struct {
	Document       string
	Version        int
	Body           string
	OperatorName   string `json:"operator_name"`
	PrivacyContact string `json:"privacy_contact"`
	LastUpdated    string `json:"last_updated"`
}

// TestPolicyPages: the shipped privacy policy shows the operator's name and contact; an
// admin's edit is a new numbered version, every version stays readable, and sign-up
// records the versions the new user accepted (exported in the `policy` section).
func TestPolicyPages(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		audit := &auditRecorder{}
		s := apptest.Start(t, tg, apptest.Options{
			Env:    map[string]string{"ALLY_OPERATOR_NAME": "Example Ltd", "ALLY_PRIVACY_CONTACT": "dpo@example.org"},
			Before: func(m *app.Main) { m.Changelog.SetAuditor(audit) }})
		ctx := context.Background()
		adminID, admin := authtest.NewUser(t, s, authtest.Admin())

		var p page
		res := s.Do("GET", "/api/v1/policy/privacy", "", nil)
		res.JSON(t, &p)
		if res.Status != 200 || p.Version != 0 || !strings.Contains(p.Body, "run by Example Ltd") || !strings.Contains(p.Body, "contact us at dpo@example.org") ||
			strings.Contains(p.Body, "{{") || strings.Contains(p.Body, "privacy@myally.app") || !strings.Contains(p.Body, "Last updated: March 2026") {
			t.Fatalf("default privacy page: %d %.400s", res.Status, res.Body)
		}
		if res := s.Do("GET", "/api/v1/policy/terms", "", nil); res.Status != 200 || !strings.Contains(string(res.Body), "Example Ltd") {
			t.Fatalf("terms: %d", res.Status)
		}
		if res := s.Do("GET", "/api/v1/policy/cookies", "", nil); res.Status != 404 {
			t.Fatalf("unknown page: %d", res.Status)
		}
		if res := s.Do("GET", "/api/v1/policy/privacy?version=x", "", nil); res.Status != 400 {
			t.Fatalf("bad version: %d", res.Status)
		}

		// Signed up on the shipped texts.
		early := signUp(t, s, "early@example.com")

		for _, bad := range []map[string]any{{"body": "   "}, {}} {
			if res := s.Do("PUT", "/api/v1/admin/policy/privacy", admin, bad); res.Status != 400 {
				t.Fatalf("empty page saved: %d", res.Status)
			}
		}
		if res := s.Do("PUT", "/api/v1/admin/policy/cookies", admin, map[string]any{"body": "x"}); res.Status != 404 {
			t.Fatalf("unknown page saved: %d", res.Status)
		}
		edited := "# Privacy at {{operator_name}}\n\nWrite to {{privacy_contact}}. <script>alert(1)</script>"
		res = s.Do("PUT", "/api/v1/admin/policy/privacy", admin, map[string]any{"body": edited})
		var doc struct {
			Version  int
			Body     string
			Versions []struct{ Version int }
		}
		res.JSON(t, &doc)
		if res.Status != 200 || doc.Version != 1 || doc.Body != edited || len(doc.Versions) != 1 {
			t.Fatalf("save: %d %s", res.Status, res.Body)
		}
		s.Do("PUT", "/api/v1/admin/policy/privacy", admin, map[string]any{"body": edited + "\n\nSecond."}).JSON(t, &doc)
		if doc.Version != 2 || len(doc.Versions) != 2 {
			t.Fatalf("second save: %+v", doc)
		}
		s.Do("GET", "/api/v1/policy/privacy", "", nil).JSON(t, &p)
		if p.Version != 2 || !strings.HasPrefix(p.Body, "# Privacy at Example Ltd\n\nWrite to dpo@example.org.") || !strings.Contains(p.Body, "Second.") {
			t.Fatalf("current page: %+v", p)
		}
		s.Do("GET", "/api/v1/policy/privacy?version=1", "", nil).JSON(t, &p)
		if p.Version != 1 || strings.Contains(p.Body, "Second.") {
			t.Fatalf("version 1: %+v", p)
		}
		if res := s.Do("GET", "/api/v1/policy/privacy?version=9", "", nil); res.Status != 404 {
			t.Fatalf("missing version: %d", res.Status)
		}
		late := signUp(t, s, "late@example.com")

		acc := func(uid string) map[string]int {
			out := map[string]int{}
			list, err := s.Changelog.Acceptances(ctx, uid)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range list {
				out[a.Document] = int(a.Version)
			}
			return out
		}
		if a := acc(early); a["privacy"] != 0 || a["terms"] != 0 || len(a) != 2 {
			t.Fatalf("early acceptances: %v", a)
		}
		if a := acc(late); a["privacy"] != 2 || a["terms"] != 0 || len(a) != 2 {
			t.Fatalf("late acceptances: %v", a)
		}
		tok := authtest.Token(t, s, late)
		res = s.Do("GET", "/api/v1/me/export", tok, nil)
		var export struct {
			Policy []struct {
				Document string
				Version  int
			} `json:"policy"`
		}
		res.JSON(t, &export)
		if len(export.Policy) != 2 {
			t.Fatalf("export policy section: %s", res.Body)
		}
		if got := audit.list(); len(got) != 2 || got[0] != adminID+" policy.update policy:privacy" {
			t.Fatalf("audit: %v", got)
		}
	})
}

// signUp creates an account through the sign-up route and returns its id.
func signUp(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "New", "email": email, "password": "a perfectly fine passphrase", "age_confirmed": true})
	if res.Status != 202 {
		t.Fatalf("signup: %d %s", res.Status, res.Body)
	}
	u, err := s.Auth.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
