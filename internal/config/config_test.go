package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.Mailer != "outbox" || c.DeletionGrace != 720*time.Hour {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("public URL should default from the address, got %q", c.PublicURL)
	}
	if c.IsPostgres() {
		t.Fatal("SQLite must be the default")
	}
}

func TestInvalidSettingsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad duration", map[string]string{"ALLY_DELETION_GRACE": "thirty days"}, "ALLY_DELETION_GRACE"},
		{"bad mailer", map[string]string{"ALLY_MAILER": "pigeon"}, "ALLY_MAILER"},
		{"bad database", map[string]string{"ALLY_DATABASE_URL": "mysql://x"}, "ALLY_DATABASE_URL"},
		{"short secret", map[string]string{"ALLY_JWT_SECRET": "short"}, "ALLY_JWT_SECRET"},
		{"bad addr", map[string]string{"ALLY_ADDR": "8080"}, "ALLY_ADDR"},
		{"bad level", map[string]string{"ALLY_LOG_LEVEL": "loud"}, "ALLY_LOG_LEVEL"},
		{"bad public url", map[string]string{"ALLY_PUBLIC_URL": "ally.example.com"}, "ALLY_PUBLIC_URL"},
		{"bad proxy", map[string]string{"ALLY_TRUSTED_PROXIES": "10.0.0.1, nope"}, "ALLY_TRUSTED_PROXIES"},
		{"bad number", map[string]string{"ALLY_MAX_BODY_BYTES": "lots"}, "ALLY_MAX_BODY_BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error naming %s, got %v", tt.want, err)
			}
		})
	}
}

func TestAllProblemsReportedTogether(t *testing.T) {
	_, err := Load(env(map[string]string{"ALLY_MAILER": "x", "ALLY_LOG_LEVEL": "y"}))
	cerr, ok := err.(*Error)
	if !ok || len(cerr.Problems) != 2 {
		t.Fatalf("want two problems, got %v", err)
	}
}

// TestReferenceTableListsEverySetting keeps docs/configuration.md complete: every setting
// must have a row naming its variable and its default.
func TestReferenceTableListsEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[name] = strings.Trim(strings.TrimSpace(cells[2]), "`")
	}
	for _, f := range Fields() {
		def, ok := rows[f.Env]
		if !ok {
			t.Errorf("docs/configuration.md has no row for %s", f.Env)
			continue
		}
		want := f.Default
		if want == "" {
			want = "(empty)"
		}
		if def != want {
			t.Errorf("docs/configuration.md gives %s the default %q; the code says %q", f.Env, def, want)
		}
	}
}
