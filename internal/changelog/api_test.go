package changelog_test

import (
	"strings"
	"testing"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestChangelogAPI: admins write, edit, publish and delete entries; everyone reads the
// published ones, newest first; bad input is refused with a clear error and changes
// nothing; non-admins reach none of the admin routes; every admin action is audited.
func TestChangelogAPI(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		audit := &auditRecorder{}
		s := apptest.Start(t, tg, apptest.Options{Before: func(m *app.Main) { m.Changelog.SetAuditor(audit) }})
		adminID, admin := authtest.NewUser(t, s, authtest.Admin())
		_, user := authtest.NewUser(t, s)

		bad := []struct {
			name, field, msg string
			body             map[string]any
		}{
			{"empty title", "title", "must not be empty", map[string]any{"title": "  ", "body": "x"}},
			{"no title", "title", "must not be empty", map[string]any{"body": "x"}},
			{"policy change without date", "effective_at", "needs the date", map[string]any{"title": "T", "policy_change": true}},
			{"effective date in the past", "effective_at", "in the past", map[string]any{"title": "T", "policy_change": true, "effective_at": "2020-01-01"}},
			{"effective date too soon", "effective_at", "at least 30 days", map[string]any{"title": "T", "policy_change": true, "effective_at": ahead(29)}},
			{"not a date", "effective_at", "a date like", map[string]any{"title": "T", "policy_change": true, "effective_at": "next month"}},
		}
		for _, b := range bad {
			res := s.Do("POST", "/api/v1/admin/changelog", admin, b.body)
			if res.Status != 400 || res.ErrorCode() != "invalid_request" || !strings.Contains(string(res.Body), b.field) || !strings.Contains(string(res.Body), b.msg) {
				t.Errorf("%s: %d %s", b.name, res.Status, res.Body)
			}
		}
		if n := count(t, s.DB, `SELECT COUNT(*) FROM changelog_entries`); n != 0 {
			t.Fatalf("refused entries were stored: %d", n)
		}

		script := "Hello <script>alert(1)</script> **bold**"
		res := s.Do("POST", "/api/v1/admin/changelog", admin, map[string]any{"title": "Dark mode", "body": script})
		var first entry
		res.JSON(t, &first)
		if res.Status != 201 || first.Status != "draft" || first.Body != script {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		// Drafts are not public.
		var pub struct{ Entries []entry }
		s.Do("GET", "/api/v1/changelog", "", nil).JSON(t, &pub)
		if len(pub.Entries) != 0 {
			t.Fatalf("a draft is public: %+v", pub)
		}
		res = s.Do("PATCH", "/api/v1/admin/changelog/"+first.ID, admin, map[string]any{"title": ""})
		if res.Status != 400 {
			t.Fatalf("patch to an empty title: %d", res.Status)
		}
		res = s.Do("PATCH", "/api/v1/admin/changelog/"+first.ID, admin, map[string]any{"title": "Dark mode is here"})
		if res.Status != 200 {
			t.Fatalf("patch: %d %s", res.Status, res.Body)
		}
		if res := s.Do("POST", "/api/v1/admin/changelog/"+first.ID+"/publish", admin, nil); res.Status != 200 {
			t.Fatalf("publish: %d %s", res.Status, res.Body)
		}
		if res := s.Do("POST", "/api/v1/admin/changelog/"+first.ID+"/publish", admin, nil); res.Status != 409 {
			t.Fatalf("publish twice: %d %s", res.Status, res.Body)
		}
		res = s.Do("POST", "/api/v1/admin/changelog", admin, map[string]any{"title": "New privacy policy", "body": "We keep logs 7 days.", "policy_change": true, "effective_at": ahead(30)})
		var policy entry
		res.JSON(t, &policy)
		if res.Status != 201 {
			t.Fatalf("create policy change: %d %s", res.Status, res.Body)
		}
		if res := s.Do("POST", "/api/v1/admin/changelog/"+policy.ID+"/publish", admin, nil); res.Status != 200 {
			t.Fatalf("publish policy change: %d %s", res.Status, res.Body)
		}

		// Public, no token, newest first, only the public fields; the script as written.
		res = s.Do("GET", "/api/v1/changelog", "", nil)
		var raw struct{ Entries []map[string]any }
		res.JSON(t, &raw)
		if res.Status != 200 || len(raw.Entries) != 2 || raw.Entries[0]["id"] != policy.ID || raw.Entries[1]["id"] != first.ID {
			t.Fatalf("public list: %d %s", res.Status, res.Body)
		}
		for _, k := range []string{"id", "title", "body", "published_at", "policy_change", "effective_at"} {
			if _, ok := raw.Entries[0][k]; !ok {
				t.Errorf("public entry lacks %s", k)
			}
		}
		if _, ok := raw.Entries[0]["author_id"]; ok {
			t.Error("the public list names the author")
		}
		if raw.Entries[1]["body"] != script || raw.Entries[0]["policy_change"] != true || !strings.HasPrefix(raw.Entries[0]["effective_at"].(string), ahead(30)) {
			t.Fatalf("public entries: %s", res.Body)
		}

		// A published policy change keeps its date and stays.
		if res := s.Do("PATCH", "/api/v1/admin/changelog/"+policy.ID, admin, map[string]any{"effective_at": ahead(60)}); res.Status != 409 {
			t.Fatalf("moving a published policy change: %d %s", res.Status, res.Body)
		}
		if res := s.Do("DELETE", "/api/v1/admin/changelog/"+policy.ID, admin, nil); res.Status != 409 {
			t.Fatalf("deleting a published policy change: %d %s", res.Status, res.Body)
		}
		if res := s.Do("DELETE", "/api/v1/admin/changelog/"+first.ID, admin, nil); res.Status != 204 {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if res := s.Do("GET", "/api/v1/admin/changelog/"+first.ID, admin, nil); res.Status != 404 {
			t.Fatalf("deleted entry: %d", res.Status)
		}
		if res := s.Do("GET", "/api/v1/admin/changelog/nonexistent", admin, nil); res.Status != 404 || res.ErrorCode() != "not_found" {
			t.Fatalf("unknown id: %d %s", res.Status, res.Body)
		}

		// Non-admins and strangers reach no admin route, and change nothing.
		routes := [][2]string{{"GET", "/api/v1/admin/changelog"}, {"POST", "/api/v1/admin/changelog"},
			{"GET", "/api/v1/admin/changelog/" + policy.ID}, {"PATCH", "/api/v1/admin/changelog/" + policy.ID},
			{"DELETE", "/api/v1/admin/changelog/" + policy.ID}, {"POST", "/api/v1/admin/changelog/" + policy.ID + "/publish"},
			{"GET", "/api/v1/admin/changelog/" + policy.ID + "/notices"}, {"GET", "/api/v1/admin/policy/privacy"}, {"PUT", "/api/v1/admin/policy/privacy"}}
		before := count(t, s.DB, `SELECT COUNT(*) FROM changelog_entries`)
		for _, r := range routes {
			for _, tok := range []string{user, ""} {
				res := s.Do(r[0], r[1], tok, map[string]any{"title": "x", "body": "x"})
				if res.Status < 400 || res.Status >= 500 || strings.Contains(string(res.Body), "New privacy policy") {
					t.Errorf("%s %s as non-admin: %d %s", r[0], r[1], res.Status, res.Body)
				}
			}
		}
		if after := count(t, s.DB, `SELECT COUNT(*) FROM changelog_entries`); after != before || count(t, s.DB, `SELECT COUNT(*) FROM policy_versions`) != 0 {
			t.Fatal("a non-admin changed something")
		}

		want := []string{"changelog.create", "changelog.update", "changelog.publish", "changelog.create", "changelog.publish", "changelog.delete"}
		got := audit.list()
		if len(got) != len(want) {
			t.Fatalf("audit log: %v", got)
		}
		for i, w := range want {
			if !strings.HasPrefix(got[i], adminID+" "+w+" changelog_entry:") {
				t.Errorf("audit %d: %q, want %s by the admin", i, got[i], w)
			}
		}
	})
}
