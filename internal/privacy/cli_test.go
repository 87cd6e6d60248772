package privacy_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestRetentionRunCommand: `ally retention run` purges an account whose recovery window
// has ended and applies the retention rules at once, without a running server. (SQLite:
// the command reads its database from ALLY_DATA_DIR like the server.)
func TestRetentionRunCommand(t *testing.T) {
	dir := t.TempDir()
	tg := dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(dir, "ally.db")}}
	s := apptest.Start(t, tg, apptest.Options{DataDir: dir})
	gone, tok := authtest.NewUser(t, s)
	stays, _ := authtest.NewUser(t, s)
	if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	ctx := context.Background()
	longAgo := time.Now().Add(-s.Config.DeletionGrace - time.Hour)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.DB.W.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE users SET deleted_at = $1 WHERE id = $2`, db.Millis(longAgo), gone)
	exec(`INSERT INTO usage_daily (user_id, day, updated_at) VALUES ($1, '2020-01-01', 0), ($1, $2, 0)`, stays, time.Now().Format("2006-01-02"))
	s.Stop()

	var out, errOut bytes.Buffer
	env := map[string]string{"ALLY_DATA_DIR": dir, "ALLY_JWT_SECRET": "test-secret-test-secret-test-secret-0123", "ALLY_LOG_LEVEL": "error"}
	code := app.CLI(ctx, app.Env{Args: []string{"retention", "run"}, Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"purged 1 deleted account", "deleted 1 row(s) from usage_daily"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	d := dbtest.Open(t, tg)
	var users, days int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM users WHERE id IN ($1, $2)`, gone, stays).Scan(&users); err != nil || users != 1 {
		t.Fatalf("users left: %d %v, want only the active one", users, err)
	}
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM usage_daily WHERE user_id = $1`, stays).Scan(&days); err != nil || days != 1 {
		t.Fatalf("usage days left: %d %v, want the recent one", days, err)
	}

	if code := app.CLI(ctx, app.Env{Args: []string{"retention"}, Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}); code != 2 {
		t.Fatalf("ally retention without run: exit %d", code)
	}
}

// TestPurgeJobRuns: the periodic purge job, run by the job queue when an instance starts,
// purges an account whose recovery window ended while no server was running.
func TestPurgeJobRuns(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		dir := t.TempDir()
		s := apptest.Start(t, tg, apptest.Options{DataDir: dir})
		uid, tok := authtest.NewUser(t, s)
		must(t, s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}), http.StatusOK, "delete")
		if _, err := s.DB.W.Exec(`UPDATE users SET deleted_at = $1 WHERE id = $2`, db.Millis(time.Now().Add(-s.Config.DeletionGrace-time.Minute)), uid); err != nil {
			t.Fatal(err)
		}
		s.Stop()

		s = apptest.Start(t, tg, apptest.Options{DataDir: dir})
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM users WHERE id = $1`, uid).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the purge job did not purge the account")
			}
			time.Sleep(50 * time.Millisecond) // polling for the job, not waiting for time
		}
	})
}
