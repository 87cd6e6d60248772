package app_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/tlsx/tlsxtest"
)

func TestHealthcheckCommand(t *testing.T) {
	run := func(env map[string]string) (int, string) {
		var out bytes.Buffer
		code := app.CLI(context.Background(), app.Env{Args: []string{"healthcheck"}, Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] }})
		return code, out.String()
	}
	tg := dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(t.TempDir(), "ally.db")}}
	s := apptest.Start(t, tg, apptest.Options{})
	addr := strings.TrimPrefix(s.URL, "http://")
	if code, out := run(map[string]string{"ALLY_ADDR": addr}); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("healthcheck of a running server: %d %s", code, out)
	}
	s.Stop()
	if code, out := run(map[string]string{"ALLY_ADDR": addr}); code == 0 {
		t.Fatalf("healthcheck of a stopped server passed: %s", out)
	}

	// With built-in HTTPS it speaks TLS, naming a configured domain.
	ca := tlsxtest.StartPebble(t, 0)
	ts := apptest.Start(t, tg, acmeEnv(ca, "ally.test"))
	env := map[string]string{"ALLY_ADDR": strings.TrimPrefix(ts.URL, "https://"), "ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "ally.test"}
	if code, out := run(env); code != 0 {
		t.Fatalf("healthcheck over HTTPS: %d %s", code, out)
	}
}
