package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// cli runs an ally command against the same data as s and returns its exit code and output.
func cli(t *testing.T, s *apptest.Server, tg dbtest.Target, args ...string) (int, string) {
	t.Helper()
	env := map[string]string{
		"ALLY_DATA_DIR":    s.Config.DataDir,
		"ALLY_JWT_SECRET":  s.Config.JWTSecret,
		"ALLY_BCRYPT_COST": "4",
		"ALLY_LOG_LEVEL":   "error",
	}
	if tg.Dialect == "postgres" {
		env["ALLY_DATABASE_URL"] = tg.Options.URL + "&search_path=" + tg.Options.Schema
	}
	var out, errOut bytes.Buffer
	code := app.CLI(context.Background(), app.Env{Args: args, Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return code, out.String() + errOut.String()
}

// TestMailListJSON covers OPS-5: `ally mail list --json` prints the outbox with to,
// subject, text, html and created_at.
func TestMailListJSON(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := startForCLI(t, tg)
		res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"email": "ann@example.com", "password": "a fine passphrase", "age_confirmed": true})
		if res.Status != 202 {
			t.Fatalf("signup: %d %s", res.Status, res.Body)
		}
		code, out := cli(t, s, tg, "mail", "list", "--json", "--to", "ANN@example.com")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, out)
		}
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if len(list) != 1 {
			t.Fatalf("%d messages, want 1", len(list))
		}
		for _, k := range []string{"to", "subject", "text", "html", "created_at"} {
			if v, _ := list[0][k].(string); v == "" {
				t.Fatalf("field %s missing in %v", k, list[0])
			}
		}
		if _, err := time.Parse(time.RFC3339, list[0]["created_at"].(string)); err != nil || list[0]["to"] != "ann@example.com" {
			t.Fatalf("bad entry %v", list[0])
		}
		if code, out := cli(t, s, tg, "mail", "send"); code != 2 || !strings.Contains(out, "usage") {
			t.Fatalf("unknown subcommand: %d %s", code, out)
		}
	})
}

// TestAdminCommands covers ACC-9 / ACC-10 and ASVS V7.4.2: suspending signs the account
// out at once and blocks sign-in; `admin create` promotes an account, or creates one with
// a single-use link to set its password.
func TestAdminCommands(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := startForCLI(t, tg)
		_, tok := authtest.NewUser(t, s, authtest.Email("ann@example.com"))

		if code, out := cli(t, s, tg, "admin", "suspend", "--email", "Ann@example.com"); code != 0 {
			t.Fatalf("suspend: %d %s", code, out)
		}
		if res := s.Do("GET", "/api/v1/me", tok, nil); res.Status != 401 {
			t.Fatalf("the suspended user's token still works: %d", res.Status)
		}
		if res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ann@example.com", "password": authtest.Password}); res.Status != 403 {
			t.Fatalf("a suspended user signed in: %d %s", res.Status, res.Body)
		}
		if code, out := cli(t, s, tg, "admin", "unsuspend", "--email", "ann@example.com"); code != 0 {
			t.Fatalf("unsuspend: %d %s", code, out)
		}
		if res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ann@example.com", "password": authtest.Password}); res.Status != 200 {
			t.Fatalf("sign-in after unsuspend: %d %s", res.Status, res.Body)
		}

		if code, out := cli(t, s, tg, "admin", "create", "--email", "ann@example.com"); code != 0 || strings.Contains(out, "token=") {
			t.Fatalf("create for an existing account: %d %s", code, out)
		}
		var me struct{ Role string }
		s.Do("GET", "/api/v1/me", authtest.Token(t, s, mustUserID(t, s, "ann@example.com")), nil).JSON(t, &me)
		if me.Role != "admin" {
			t.Fatalf("role %q after admin create", me.Role)
		}

		code, out := cli(t, s, tg, "admin", "create", "--email", "ops@example.com")
		if code != 0 {
			t.Fatalf("create: %d %s", code, out)
		}
		m := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no password link printed: %s", out)
		}
		if res := s.Do("POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": m[1], "password": "operator passphrase"}); res.Status != 200 {
			t.Fatalf("set password: %d %s", res.Status, res.Body)
		}
		res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ops@example.com", "password": "operator passphrase"})
		var login struct{ User struct{ Role string } }
		res.JSON(t, &login)
		if res.Status != 200 || login.User.Role != "admin" {
			t.Fatalf("new admin sign-in: %d %s", res.Status, res.Body)
		}

		for _, args := range [][]string{{"admin"}, {"admin", "create"}, {"admin", "promote", "--email", "x@example.com"}} {
			if code, _ := cli(t, s, tg, args...); code != 2 {
				t.Fatalf("%v: exit %d, want 2", args, code)
			}
		}
		if code, out := cli(t, s, tg, "admin", "suspend", "--email", "nobody@example.com"); code != 1 || !strings.Contains(out, "no such user") {
			t.Fatalf("suspend unknown: %d %s", code, out)
		}
	})
}

// startForCLI starts an instance whose SQLite file is where the CLI looks for it.
func startForCLI(t *testing.T, tg dbtest.Target) *apptest.Server {
	t.Helper()
	o := apptest.Options{}
	if tg.Dialect == "sqlite" {
		o.DataDir = filepath.Dir(tg.Options.Path)
	}
	return apptest.Start(t, tg, o)
}

func mustUserID(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	var id string
	if err := s.DB.R.QueryRow(`SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDoctorChecksMail: an SMTP server that does not answer is a problem; the outbox is a
// warning, since users then get no links.
func TestDoctorChecksMail(t *testing.T) {
	dir := t.TempDir()
	run := func(env map[string]string) (int, string) {
		env["ALLY_DATA_DIR"] = dir
		var out bytes.Buffer
		code := app.CLI(context.Background(), app.Env{Args: []string{"doctor"}, Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] }})
		return code, out.String()
	}
	code, out := run(map[string]string{"ALLY_MAILER": "smtp", "ALLY_SMTP_HOST": "127.0.0.1", "ALLY_SMTP_PORT": "1", "ALLY_MAIL_FROM": "Ally <a@example.com>"})
	if code != 1 || !strings.Contains(out, "SMTP server 127.0.0.1:1 does not answer") {
		t.Fatalf("unreachable SMTP: %d\n%s", code, out)
	}
	code, out = run(map[string]string{})
	if !strings.Contains(out, "[warn] mail") || strings.Contains(out, "FAIL] mail") {
		t.Fatalf("outbox: %d\n%s", code, out)
	}
}
