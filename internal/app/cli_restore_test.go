package app_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// TestBackupWhileServingRestoresEverything takes `ally backup` while the server is
// answering a user, restores it the documented way (the copy as ally.db in a fresh data
// directory, with the same ALLY_JWT_SECRET) and finds the user's data there, their
// session still signed in.
func TestBackupWhileServingRestoresEverything(t *testing.T) {
	fake := llmtest.Start(t)
	dataDir := t.TempDir()
	env := map[string]string{"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake.URL, "ALLY_CHAT_FLUSH_INTERVAL": "20ms"}
	s := apptest.Start(t, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(dataDir, "ally.db")}},
		apptest.Options{DataDir: dataDir, Env: env})
	_, token := authtest.NewUser(t, s)
	u := client{t: t, base: s.URL, token: token}
	_, conv := u.do("POST", "/api/v1/conversations", map[string]any{"title": "Holiday plans"})
	convID := conv["id"].(string)
	fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "Lisbon in May is lovely."})
	if code, _ := u.do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]string{"content": "Where should I go?"}); code != http.StatusOK {
		t.Fatalf("send: %d", code)
	}
	if code, body := u.do("PUT", "/api/v1/memory/notes.md", map[string]string{"content": "likes the sea"}); code != http.StatusCreated {
		t.Fatalf("memory write: %d %v", code, body)
	}

	// The backup runs while a long reply is being written.
	fake.Script(llmtest.Anthropic, longReply(2000, 5*time.Millisecond))
	streaming := stream(u, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]string{"content": "Tell me more"})
	waitStreaming(t, u, convID)
	backup := filepath.Join(t.TempDir(), "ally-backup.db")
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "ALLY_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	if code := app.CLI(context.Background(), app.Env{Args: []string{"backup", "-out", backup}, Stdout: &out, Stderr: &out, Getenv: getenv}); code != 0 {
		t.Fatalf("backup while serving: %s", out.String())
	}
	<-streaming
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", st, err)
	}
	s.Stop()

	// Restore: a fresh data directory holding only the copy.
	fresh := t.TempDir()
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fresh, "ally.db"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r := apptest.Start(t, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(fresh, "ally.db")}},
		apptest.Options{DataDir: fresh, Env: env})
	var ok string
	if err := r.DB.R.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("restored database integrity: %q %v", ok, err)
	}
	ru := client{t: t, base: r.URL, token: token}
	code, me := ru.do("GET", "/api/v1/me", nil)
	if code != http.StatusOK {
		t.Fatalf("the session does not survive the restore: %d %v", code, me)
	}
	_, page := ru.do("GET", "/api/v1/conversations/"+convID+"/messages", nil)
	msgs, _ := page["messages"].([]any)
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.(map[string]any)["content"].(string))
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "Where should I go?") || !strings.Contains(joined, "Lisbon in May is lovely.") || !strings.Contains(joined, "Tell me more") {
		t.Fatalf("restored conversation: %q", joined)
	}
	if code, f := ru.do("GET", "/api/v1/memory/notes.md", nil); code != http.StatusOK || !strings.Contains(strings.Join(mapStrings(f), " "), "likes the sea") {
		t.Fatalf("restored memory file: %d %v", code, f)
	}
	// The reply that was streaming when the backup was taken is restored as what it was
	// then and, its instance gone, ends interrupted rather than streaming forever.
	eventually(t, "the reply cut by the backup to settle", func() bool {
		_, page := ru.do("GET", "/api/v1/conversations/"+convID+"/messages", nil)
		msgs, _ := page["messages"].([]any)
		last := msgs[len(msgs)-1].(map[string]any)
		return last["status"] != "streaming"
	})
}

// mapStrings lists the string values of a JSON object, one level down too.
func mapStrings(m map[string]any) []string {
	var out []string
	for _, v := range m {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			out = append(out, mapStrings(x)...)
		}
	}
	return out
}
