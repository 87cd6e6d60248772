package admin_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestAdminNeverSeesContent: a user's canary sits in a conversation's title and a
// message, a memory file, a task's title and instruction, the learned guidance and the
// email of a task result; an administrator walks every admin GET route (users, one user,
// analytics, outbox, audit) and the job-queue console's page and API, and no answer holds
// the canary.
func TestAdminNeverSeesContent(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s := apptest.Start(t, tg, apptest.Options{})
		_, adm := authtest.NewUser(t, s, authtest.Admin())
		const canary = "canary7f3e9a"
		uid, tok := authtest.NewUser(t, s)

		var conv struct{ ID string }
		must(t, s.Do("POST", "/api/v1/conversations", tok, map[string]any{"title": "Trip " + canary}), 201, "conversation").JSON(t, &conv)
		now := db.Millis(time.Now())
		exec(t, s, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
			VALUES ($1, $2, $3, 1, 'user', $4, 'complete', $5, $5)`, "m-"+canary[:6]+"x1", conv.ID, uid, "my secret is "+canary, now)
		must(t, s.Do("PUT", "/api/v1/memory/notes/"+canary+".md", tok, map[string]any{"content": "remember " + canary}), 201, "memory")
		must(t, s.Do("POST", "/api/v1/tasks", tok, map[string]any{"title": "Brief " + canary, "instruction": "Tell me about " + canary,
			"schedule": map[string]any{"kind": "daily", "time": "08:00"}}), 201, "task")
		must(t, s.Do("PUT", "/api/v1/me/guidance", tok, map[string]any{"text": "- Mention " + canary}), 200, "guidance")
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			return s.Mail.Send(ctx, tx, "task_result", uid, "user@example.com", map[string]any{
				"Name": "Test", "Title": "Brief " + canary, "When": "today", "Text": "Result " + canary, "Link": "http://x/"})
		})
		if err != nil {
			t.Fatal(err)
		}
		seedUsage(t, s, uid, time.Now().UTC().Format(time.DateOnly), 2, 100)

		paths := []string{
			"/api/v1/admin/users", "/api/v1/admin/users?q=" + canary, "/api/v1/admin/users/" + uid,
			"/api/v1/admin/analytics", "/api/v1/admin/outbox", "/api/v1/admin/outbox?to=user@example.com",
			"/api/v1/admin/audit",
		}
		for _, p := range paths {
			res := must(t, get(s, p, adm), 200, p)
			if contains(res.Body, canary) {
				t.Errorf("GET %s shows the user's content: %.400s", p, res.Body)
			}
		}
		// The outbox lists the task mail without its subject or body.
		var ob struct {
			Messages []struct{ Kind, Subject string }
		}
		must(t, get(s, "/api/v1/admin/outbox?to=user@example.com", adm), 200, "outbox").JSON(t, &ob)
		if len(ob.Messages) != 1 || ob.Messages[0].Kind != "task_result" {
			t.Fatalf("outbox: %+v", ob.Messages)
		}
		// The job-queue console, page and API.
		c := jobsClient(t, s, adm)
		for _, p := range []string{"/admin/jobs/", "/admin/jobs/jobs", "/admin/jobs/api/jobs?state=available&limit=100",
			"/admin/jobs/api/jobs?state=scheduled&limit=100", "/admin/jobs/api/jobs?state=completed&limit=100",
			"/admin/jobs/api/queues", "/admin/jobs/api/states"} {
			body := fetch(t, c, s.URL+p, 200)
			if contains(body, canary) {
				t.Errorf("GET %s shows the user's content: %.400s", p, body)
			}
		}
	})
}

// jobsClient is an HTTP client holding the job-queue cookie of the admin's session.
func jobsClient(t *testing.T, s *apptest.Server, adminToken string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/admin/jobs/session", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("jobs session: %d", res.StatusCode)
	}
	return c
}

func fetch(t *testing.T, c *http.Client, url string, want int) []byte {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %.300s", url, res.StatusCode, want, body)
	}
	return body
}
