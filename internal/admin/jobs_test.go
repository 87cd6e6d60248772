package admin_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestJobQueueConsole: River UI at /admin/jobs/ opens only with the cookie an admin's
// bearer token obtains (HttpOnly, SameSite=Strict, Path=/admin/jobs); its page and API
// work on both databases; a non-admin, no cookie, a forged cookie and a signed-out
// session get 404; a change from another site is refused and changes are audited.
func TestJobQueueConsole(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		_, adm := authtest.NewUser(t, s, authtest.Admin())
		_, user := authtest.NewUser(t, s)

		// A non-admin gets no cookie and no console.
		res := s.Do("POST", "/api/v1/admin/jobs/session", user, nil)
		if res.Status != 404 || len(res.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("non-admin jobs session: %d %v", res.Status, res.Header.Values("Set-Cookie"))
		}
		must(t, get(s, "/admin/jobs/", user), 404, "non-admin console")
		must(t, get(s, "/admin/jobs/", ""), 404, "no cookie")

		res = must(t, s.Do("POST", "/api/v1/admin/jobs/session", adm, nil), 200, "jobs session")
		ck := res.Header.Get("Set-Cookie")
		for _, want := range []string{"ally_admin_jobs=", "Path=/admin/jobs", "HttpOnly", "SameSite=Strict", "Max-Age=900"} {
			if !strings.Contains(ck, want) {
				t.Fatalf("cookie %q lacks %s", ck, want)
			}
		}
		if strings.Contains(ck, "Secure") {
			t.Fatalf("cookie over plain HTTP marked Secure: %s", ck)
		}
		c := jobsClient(t, s, adm)
		page := string(fetch(t, c, s.URL+"/admin/jobs/", 200))
		if !strings.Contains(page, "<title>River</title>") || !strings.Contains(page, "/admin/jobs/assets/") {
			t.Fatalf("the console page: %.400s", page)
		}
		var list struct {
			Data []struct {
				Kind string `json:"kind"`
			} `json:"data"`
		}
		if err := json.Unmarshal(fetch(t, c, s.URL+"/admin/jobs/api/jobs?state=completed&limit=50", 200), &list); err != nil {
			t.Fatalf("the console's job list is not JSON: %v", err)
		}
		var queues struct {
			Data []struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		if err := json.Unmarshal(fetch(t, c, s.URL+"/admin/jobs/api/queues", 200), &queues); err != nil {
			t.Fatalf("the console's queue list: %v", err)
		}

		// A forged cookie opens nothing.
		req, _ := http.NewRequest("GET", s.URL+"/admin/jobs/", nil)
		req.Header.Set("Cookie", "ally_admin_jobs=eHx5fDk5OTk5OTk5OTk.AAAA")
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 404 {
			t.Fatalf("forged cookie: %v %v", r, err)
		}
		// A change from another site is refused.
		req, _ = http.NewRequest("POST", s.URL+"/admin/jobs/api/queues/default/pause", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if r, err := c.Do(req); err != nil || r.StatusCode != 403 {
			t.Fatalf("cross-site change: %v %v", r.StatusCode, err)
		}
		// A change from the console itself works and is audited.
		req, _ = http.NewRequest("PUT", s.URL+"/admin/jobs/api/queues/default/pause", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		var audit struct{ Entries []struct{ Action string } }
		must(t, get(s, "/api/v1/admin/audit", adm), 200, "audit").JSON(t, &audit)
		if len(audit.Entries) < 2 || audit.Entries[0].Action != "jobs.change" {
			t.Fatalf("audit after a console change (%d): %+v", r.StatusCode, audit.Entries)
		}

		// Signing out ends the console at once, cookie or not.
		must(t, s.Do("POST", "/api/v1/auth/logout-all", adm, nil), 204, "sign out")
		fetch(t, c, s.URL+"/admin/jobs/", 404)
	})
}
