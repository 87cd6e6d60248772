package changelog_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestPublishCommand: `ally changelog publish` applies the API's rules and, for a policy
// change, starts the same mailing, which the running server sends.
func TestPublishCommand(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		o := apptest.Options{}
		if tg.Dialect == "sqlite" {
			o.DataDir = filepath.Dir(tg.Options.Path)
		}
		s := apptest.Start(t, tg, o)
		authtest.NewUser(t, s, authtest.Email("reader@example.com"))
		env := map[string]string{"ALLY_DATA_DIR": s.Config.DataDir, "ALLY_JWT_SECRET": s.Config.JWTSecret, "ALLY_LOG_LEVEL": "error"}
		if tg.Dialect == "postgres" {
			env["ALLY_DATABASE_URL"] = tg.Options.URL + "&search_path=" + tg.Options.Schema
		}
		run := func(args ...string) (int, string) {
			var out bytes.Buffer
			code := app.CLI(context.Background(), app.Env{Args: args, Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] }})
			return code, out.String()
		}
		body := filepath.Join(t.TempDir(), "body.md")
		if err := os.WriteFile(body, []byte("We now keep logs for **7 days**."), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][]string{
			{"changelog", "publish", "--title", "", "--body-file", body},
			{"changelog", "publish", "--title", "T", "--body-file", body, "--policy-change", "--effective", ahead(3)},
			{"changelog", "publish", "--title", "T", "--body-file", body, "--policy-change", "--effective", "2020-01-01"},
			{"changelog", "publish", "--title", "T", "--body-file", body, "--policy-change"},
		} {
			if code, out := run(bad...); code == 0 || !strings.Contains(out, "invalid_request") && !strings.Contains(out, "title") && !strings.Contains(out, "effective") {
				t.Errorf("%v: exit %d: %s", bad, code, out)
			}
		}
		if code, _ := run("changelog", "publish", "--title", "T", "--effective", ahead(40)); code != 2 {
			t.Errorf("--effective without --policy-change: exit %d", code)
		}
		if n := count(t, s.DB, `SELECT COUNT(*) FROM changelog_entries`); n != 0 {
			t.Fatalf("refused commands stored %d entries", n)
		}
		code, out := run("changelog", "publish", "--title", "Shorter logs", "--body-file", body, "--policy-change", "--effective", ahead(30))
		if code != 0 || !strings.Contains(out, "published") {
			t.Fatalf("publish: exit %d: %s", code, out)
		}
		var pub struct{ Entries []entry }
		s.Do("GET", "/api/v1/changelog", "", nil).JSON(t, &pub)
		if len(pub.Entries) != 1 || pub.Entries[0].Title != "Shorter logs" || !pub.Entries[0].PolicyChange {
			t.Fatalf("changelog: %+v", pub)
		}
		eventually(t, "the notice", func() bool { return policyMails(t, s, "reader@example.com") == 1 })
	})
}
