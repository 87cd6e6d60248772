package changelog_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/changelog"
	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db/dbtest"
)

type progress struct {
	Started                                       bool
	Total, Queued, Sent, Failed, Pending, Skipped int
	Batches                                       int
	BatchesDone                                   int `json:"batches_done"`
}

// TestPolicyChangeIsMailedToEveryActiveUser: publishing a policy change emails every
// active user (verified or not) through the job queue in batches, with a link to the
// entry and the privacy policy and no unsubscribe link; suspended and deleted accounts
// and people who sign up later get nothing, and the admin sees the progress.
func TestPolicyChangeIsMailedToEveryActiveUser(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{"ALLY_PUBLIC_URL": "https://ally.example", "ALLY_OPERATOR_NAME": "Example Ltd"},
			Before: func(m *app.Main) { m.Changelog.SetBatchSize(2) }})
		ctx := context.Background()
		_, admin := authtest.NewUser(t, s, authtest.Admin(), authtest.Email("admin@example.com"))
		emails := []string{"ana@example.com", "ben@example.com", "cy@example.com", "dee@example.com"}
		for _, e := range emails {
			authtest.NewUser(t, s, authtest.Email(e))
		}
		authtest.NewUser(t, s, authtest.Email("unverified@example.com"), authtest.Unverified())
		authtest.NewUser(t, s, authtest.Email("suspended@example.com"))
		if _, err := s.Auth.Suspend(ctx, "suspended@example.com"); err != nil {
			t.Fatal(err)
		}
		mailed := append([]string{"admin@example.com", "unverified@example.com"}, emails...)

		res := s.Do("POST", "/api/v1/admin/changelog", admin, map[string]any{"title": "Logs are kept 7 days", "policy_change": true,
			"effective_at": ahead(31), "body": "We now keep server logs for 7 days.\n\n<script>alert(1)</script>"})
		var e entry
		res.JSON(t, &e)
		var p progress
		s.Do("GET", "/api/v1/admin/changelog/"+e.ID+"/notices", admin, nil).JSON(t, &p)
		if p.Started || p.Total != 0 {
			t.Fatalf("a draft's mailing started: %+v", p)
		}
		if res := s.Do("POST", "/api/v1/admin/changelog/"+e.ID+"/publish", admin, nil); res.Status != 200 {
			t.Fatalf("publish: %d %s", res.Status, res.Body)
		}
		// Signed up after publishing: no email.
		if res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "Late", "email": "late@example.com", "password": "a perfectly fine passphrase", "age_confirmed": true}); res.Status != 202 {
			t.Fatalf("signup: %d %s", res.Status, res.Body)
		}
		eventually(t, "the mailing to finish", func() bool {
			s.Do("GET", "/api/v1/admin/changelog/"+e.ID+"/notices", admin, nil).JSON(t, &p)
			return p.Started && p.BatchesDone == p.Batches && p.Sent == p.Queued && p.Queued > 0
		})
		if p.Total != len(mailed) || p.Queued != len(mailed) || p.Sent != len(mailed) || p.Failed != 0 || p.Batches != 3 || p.Skipped != 0 {
			t.Fatalf("progress: %+v", p)
		}
		for _, to := range mailed {
			if n := policyMails(t, s, to); n != 1 {
				t.Errorf("%s got %d notices", to, n)
			}
		}
		for _, to := range []string{"suspended@example.com", "late@example.com"} {
			if n := policyMails(t, s, to); n != 0 {
				t.Errorf("%s got a notice", to)
			}
		}
		var text, html, subject string
		if err := s.DB.R.QueryRowContext(ctx, `SELECT subject, text_body, html_body FROM mail_outbox WHERE kind = 'policy_change' AND to_addr = 'ana@example.com'`).Scan(&subject, &text, &html); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"https://ally.example/whats-new#entry-" + e.ID, "https://ally.example/privacy", "Example Ltd", "We now keep server logs for 7 days."} {
			if !strings.Contains(text, want) || !strings.Contains(html, want) {
				t.Errorf("the notice lacks %q", want)
			}
		}
		if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
			t.Error("the entry's markup reached the HTML email unescaped")
		}
		if strings.Contains(strings.ToLower(text+html), "unsubscribe") {
			t.Error("a legally required notice offers to unsubscribe")
		}
		if !strings.Contains(subject, "Logs are kept 7 days") {
			t.Errorf("subject: %q", subject)
		}
	})
}

// open opens an instance on tg without starting it: no job runs on it unless the test
// calls the work itself.
func open(t *testing.T, tg dbtest.Target) *app.Main {
	t.Helper()
	env := map[string]string{"ALLY_DATA_DIR": t.TempDir(), "ALLY_JWT_SECRET": "test-secret-test-secret-test-secret-0123", "ALLY_BCRYPT_COST": "4"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := app.New(cfg, slog.New(slog.DiscardHandler))
	m.DBOptions = tg.Options
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	m.Changelog.SetBatchSize(3)
	return m
}

// TestPolicyNoticesGoOnceAcrossRetriesAndInstances: two instances split the same mailing
// and work every batch at the same moment, then every batch runs again (a retry): each
// user has exactly one notice and one email.
func TestPolicyNoticesGoOnceAcrossRetriesAndInstances(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		a, b := open(t, tg), open(t, tg)
		const users = 10
		for i := 0; i < users; i++ {
			if _, err := a.Auth.CreateUser(ctx, auth.NewUser{Email: strings.Repeat("u", i+1) + "@example.com", Verified: i%2 == 0}); err != nil {
				t.Fatal(err)
			}
		}
		title, body, policy, eff := "New terms", "The terms change.", true, ahead(40)
		e, err := a.Changelog.PublishNew(ctx, "", changelog.Draft{Title: &title, Body: &body, PolicyChange: &policy, EffectiveAt: &eff})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		split := make([]int, 2)
		for i, m := range []*app.Main{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := m.Changelog.Fanout(ctx, e.ID)
				if err != nil {
					t.Error(err)
				}
				split[i] = n
			}()
		}
		wg.Wait()
		if split[0]+split[1] != 4 || (split[0] != 0 && split[1] != 0) {
			t.Fatalf("batches queued by the two instances: %v (want 4 by one of them)", split)
		}
		if n, err := a.Changelog.Fanout(ctx, e.ID); err != nil || n != 0 {
			t.Fatalf("a second split queued %d batches (%v)", n, err)
		}
		sent := make([][]int, 2)
		for i, m := range []*app.Main{a, b} {
			sent[i] = make([]int, 4)
			for seq := 0; seq < 4; seq++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := m.Changelog.RunBatch(ctx, e.ID, int64(seq))
					if err != nil {
						t.Error(err)
					}
					sent[i][seq] = n
				}()
			}
		}
		wg.Wait()
		total := 0
		for i := range sent {
			for _, n := range sent[i] {
				total += n
			}
		}
		for seq := 0; seq < 4; seq++ {
			if n, err := b.Changelog.RunBatch(ctx, e.ID, int64(seq)); err != nil || n != 0 {
				t.Fatalf("batch %d run again queued %d (%v)", seq, n, err)
			}
		}
		if total != users {
			t.Fatalf("queued %d emails for %d users", total, users)
		}
		if n := count(t, a.DB, `SELECT COUNT(*) FROM mail_outbox WHERE kind = 'policy_change'`); n != users {
			t.Fatalf("%d emails stored for %d users", n, users)
		}
		if n := count(t, a.DB, `SELECT COUNT(DISTINCT to_addr) FROM mail_outbox WHERE kind = 'policy_change'`); n != users {
			t.Fatalf("%d addresses mailed", n)
		}
		if n := count(t, a.DB, `SELECT COUNT(*) FROM policy_notices n JOIN mail_outbox m ON m.id = n.mail_id WHERE n.entry_id = $1`, e.ID); n != users {
			t.Fatalf("%d notices with their email", n)
		}
		if n := count(t, a.DB, `SELECT COUNT(*) FROM river_job WHERE kind = 'mail_send'`); n != users {
			t.Fatalf("%d delivery jobs", n)
		}
		if n := count(t, a.DB, `SELECT COUNT(*) FROM policy_mailing_batches WHERE after_id <> '' OR last_id <> ''`); n != 0 {
			t.Fatalf("%d finished batches still name account ids", n)
		}
		p, err := a.Changelog.Progress(ctx, e.ID)
		if err != nil || p.Total != users || p.Queued != users || p.BatchesDone != 4 || p.Sent != 0 || p.Pending != users {
			t.Fatalf("progress: %+v %v", p, err)
		}
		// One delivery gives up, one is delivered, one is gone from the outbox after its
		// delivery (kept 30 days): the admin sees them as failed, sent, sent.
		var mails []string
		rows, err := a.DB.R.QueryContext(ctx, `SELECT mail_id FROM policy_notices WHERE entry_id = $1 ORDER BY mail_id LIMIT 3`, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			mails = append(mails, id)
		}
		rows.Close()
		for i, q := range []string{`UPDATE mail_outbox SET status = 'failed' WHERE id = $1`, `UPDATE mail_outbox SET status = 'delivered' WHERE id = $1`, `DELETE FROM mail_outbox WHERE id = $1`} {
			if _, err := a.DB.W.ExecContext(ctx, q, mails[i]); err != nil {
				t.Fatal(err)
			}
		}
		if p, err = a.Changelog.Progress(ctx, e.ID); err != nil || p.Failed != 1 || p.Sent != 2 || p.Pending != users-3 {
			t.Fatalf("progress after deliveries: %+v %v", p, err)
		}
	})
}
