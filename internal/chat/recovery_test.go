package chat_test

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// TestCrashRecovery kills the real binary in the middle of a reply and restarts it: the
// reply is kept, interrupted, with the text saved before the crash.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "ally")
	build := exec.Command("go", "build", "-o", bin, "myally.app/ally/cmd/ally")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fake := llmtest.Start(t)
	full := slowReply(3000)
	full.ChunkDelay = 10 * time.Millisecond
	fake.Script(llmtest.Anthropic, full)

	dataDir := t.TempDir()
	tg := dbtest.Target{Dialect: "sqlite"}
	setup := apptest.Start(t, tg, apptest.Options{DataDir: dataDir, Env: env(fake)})
	_, token := user(t, setup)
	conv := newConversation(t, setup, token)
	setup.Stop()

	// The real binary, on the same data, with the same settings.
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "ALLY_ADDR=127.0.0.1:0", "ALLY_DATA_DIR="+dataDir,
		"ALLY_JWT_SECRET=test-secret-test-secret-test-secret-0123", "ALLY_LOG_LEVEL=warn")
	for k, v := range env(fake) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := ""
	sc := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`https?://\S+`)
	for url == "" && sc.Scan() {
		url = re.FindString(sc.Text())
	}
	if url == "" {
		t.Fatal("the binary did not say where it serves")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	proc := &apptest.Server{T: t}
	proc.Main = setup.Main
	proc.Main.URL = strings.Replace(url, "localhost", "127.0.0.1", 1)

	st, res := open(t, proc, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "a very long story, please"})
	if res != nil {
		t.Fatalf("send: %d %s", res.Status, res.Body)
	}
	id := startID(t, st)
	st.until("delta")
	eventually(t, "some of the reply to be saved", func() bool {
		return len(message(t, proc, token, id).Content) > 100
	})
	if err := cmd.Process.Kill(); err != nil { // kill -9, mid-reply
		t.Fatal(err)
	}
	_ = cmd.Wait()

	after := apptest.Start(t, tg, apptest.Options{DataDir: dataDir, Env: env(fake)})
	m := message(t, after, token, id)
	if m.Status != chat.StatusInterrupted || m.Error == nil || m.Error.Code != "interrupted" {
		t.Fatalf("after the crash the reply is %s (%+v)", m.Status, m.Error)
	}
	if len(m.Content) <= 100 || len(m.Content) >= len(full.Text) || !strings.HasPrefix(full.Text, m.Content) {
		t.Fatalf("kept %d bytes of %d", len(m.Content), len(full.Text))
	}
	// The model call cut by the crash is in the ledger, with the output it streamed (at
	// least what was saved), once.
	var calls, out int64
	if err := after.DB.R.QueryRow(`SELECT COUNT(*), COALESCE(SUM(output_tokens), 0) FROM usage_events WHERE message_id = $1`, id).Scan(&calls, &out); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || out < int64(len(m.Content)/4) || out > int64(len(full.Text)/4+1) {
		t.Fatalf("the cut call in the ledger: %d row(s), %d output tokens for %d bytes saved", calls, out, len(m.Content))
	}
	// The conversation goes on.
	if next := send(t, after, token, conv, "go on"); next.end() != chat.StatusComplete {
		t.Fatalf("next turn after recovery: %s", next.end())
	}
}

// TestGracefulShutdown: replies get until the shutdown deadline, then are stored as
// interrupted with their text.
func TestGracefulShutdown(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		short, long := slowReply(60), slowReply(20000)
		fake.Script(llmtest.Anthropic, short, long)
		dataDir := t.TempDir()
		s := apptest.Start(t, tg, apptest.Options{DataDir: dataDir, Env: env(fake)})
		_, token := user(t, s)
		c1, c2 := newConversation(t, s, token), newConversation(t, s, token)

		a, _ := open(t, s, "POST", "/api/v1/conversations/"+c1+"/messages", token, map[string]string{"content": "short"})
		finishing := startID(t, a)
		a.close()
		// The scripted replies go out in order: the short one must be taken first.
		eventually(t, "the first reply to reach the model", func() bool { return len(fake.TurnRequests(llmtest.Anthropic)) >= 1 })
		b, _ := open(t, s, "POST", "/api/v1/conversations/"+c2+"/messages", token, map[string]string{"content": "long"})
		cut := startID(t, b)
		b.until("delta")

		// The server keeps a fifth of the time left (here 1 s) to store the cut reply and
		// tell its stream; a loaded machine needs that much.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		b.rest()
		if b.end() != chat.StatusInterrupted {
			t.Fatalf("the stream of the cut reply ended with %s", b.end())
		}

		again := apptest.Start(t, tg, apptest.Options{DataDir: dataDir, Env: env(fake)})
		if m := message(t, again, token, finishing); m.Status != chat.StatusComplete || m.Content != short.Text {
			t.Fatalf("the reply that could finish: %s, %d bytes", m.Status, len(m.Content))
		}
		m := message(t, again, token, cut)
		if m.Status != chat.StatusInterrupted || m.Content == "" || !strings.HasPrefix(long.Text, m.Content) {
			t.Fatalf("the reply cut by shutdown: %s, %d bytes", m.Status, len(m.Content))
		}
		if res := again.Do("GET", "/api/v1/conversations/"+c2+"/stream", token, nil); res.Status != http.StatusNoContent {
			t.Fatalf("re-attach to the cut reply: %d", res.Status)
		}
	})
}

// TestCLINextToARunningServer: a command that opens the same SQLite database while the
// server streams a reply (ally migrate, backup, …) leaves the reply alone.
func TestCLINextToARunningServer(t *testing.T) {
	fake := llmtest.Start(t)
	full := slowReply(300)
	fake.Script(llmtest.Anthropic, full)
	dataDir := t.TempDir()
	e := env(fake)
	e["ALLY_DATA_DIR"] = dataDir
	e["ALLY_JWT_SECRET"] = "test-secret-test-secret-test-secret-0123"
	s := apptest.Start(t, dbtest.Target{Dialect: "sqlite"}, apptest.Options{DataDir: dataDir, Env: e})
	_, token := user(t, s)
	conv := newConversation(t, s, token)
	st, _ := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "go"})
	id := startID(t, st)
	st.until("delta")

	var out strings.Builder
	if code := app.CLI(context.Background(), app.Env{Args: []string{"migrate"}, Stdout: &out, Stderr: &out,
		Getenv: func(k string) string { return e[k] }}); code != 0 {
		t.Fatalf("ally migrate: exit %d: %s", code, out.String())
	}
	st.rest()
	if m := message(t, s, token, id); st.end() != chat.StatusComplete || m.Status != chat.StatusComplete || m.Content != full.Text {
		t.Fatalf("the reply ended %s / stored %s", st.end(), m.Status)
	}
}
