package app_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
)

// syncBuffer is an io.Writer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeWithNoConfiguration: in an empty directory, `ally serve` with nothing but a free
// port creates ./data, generates a private signing secret once, prints its URL and serves
// /healthz; SIGTERM (context cancel) stops it cleanly.
func TestServeWithNoConfiguration(t *testing.T) {
	t.Chdir(t.TempDir())
	env := func(k string) string {
		if k == "ALLY_ADDR" {
			return "127.0.0.1:0" // the default port may be taken on a test machine
		}
		return ""
	}
	serve := func() (secret string) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- app.CLI(ctx, app.Env{Args: []string{"serve"}, Stdout: pw, Stderr: &stderr, Getenv: env})
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatalf("no URL printed: %v; stderr: %s", err, stderr.String())
		}
		go io.Copy(io.Discard, pr)
		url := strings.TrimSpace(line[strings.Index(line, "http://"):])
		res, err := http.Get(url + "/healthz")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", res, err)
		}
		res.Body.Close()
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
		st, err := os.Stat(filepath.Join("data", "jwt_secret"))
		if err != nil {
			t.Fatalf("secret not generated: %v", err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("secret file mode %v, want 0600", st.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join("data", "ally.db")); err != nil {
			t.Fatalf("database not in ./data: %v", err)
		}
		b, _ := os.ReadFile(filepath.Join("data", "jwt_secret"))
		return string(b)
	}
	first := serve()
	if second := serve(); second != first {
		t.Fatal("the signing secret changed on restart; everyone would be signed out")
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		if r := s.Do("GET", "/healthz", "", nil); r.Status != 200 {
			t.Fatalf("healthz %d", r.Status)
		}
		r := s.Do("GET", "/readyz", "", nil)
		var ready map[string]string
		r.JSON(t, &ready)
		if r.Status != 200 || ready["database"] != string(tg.Dialect) {
			t.Fatalf("readyz %d %v", r.Status, ready)
		}
		r = s.Do("GET", "/metrics", "", nil)
		for _, want := range []string{`ally_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`, "go_goroutines", "ally_db_write_transactions_total", "ally_db_rows_written"} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		// Once the database is gone the instance reports itself unready.
		_ = s.Jobs.Stop(context.Background())
		s.DB.Close()
		if r := s.Do("GET", "/readyz", "", nil); r.Status != 503 {
			t.Fatalf("readyz with a closed database: %d", r.Status)
		}
	})
}

func TestUnknownAPIRouteIsJSON404(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		r := s.Do("GET", "/api/v1/nothing-here", "", nil)
		if r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
}

// TestGracefulShutdownLetsRequestsFinish: a request in flight when shutdown begins still
// completes; new connections are refused.
func TestGracefulShutdownLetsRequestsFinish(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		started := make(chan struct{})
		release := make(chan struct{})
		s.Mux.HandleFunc("GET /test/slow", func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "finished")
		})
		result := make(chan string, 1)
		go func() {
			res, err := http.Get(s.URL + "/test/slow")
			if err != nil {
				result <- err.Error()
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			result <- string(b)
		}()
		<-started
		stopped := make(chan struct{})
		go func() { s.Stop(); close(stopped) }()
		// New connections are refused once shutdown has begun.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := http.Get(s.URL + "/healthz")
			if err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("server still accepts connections during shutdown")
			}
			time.Sleep(10 * time.Millisecond)
		}
		close(release)
		if got := <-result; got != "finished" {
			t.Fatalf("in-flight request got %q", got)
		}
		<-stopped
	})
}

func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	run := func(env map[string]string) (int, string) {
		var out bytes.Buffer
		code := app.CLI(context.Background(), app.Env{Args: []string{"doctor"}, Stdout: &out, Stderr: &out,
			Getenv: func(k string) string { return env[k] }})
		return code, out.String()
	}
	code, out := run(map[string]string{"ALLY_DATA_DIR": dir})
	if code != 0 || !strings.Contains(out, "sqlite answers") {
		t.Fatalf("healthy setup: exit %d\n%s", code, out)
	}
	code, out = run(map[string]string{"ALLY_DATA_DIR": dir, "ALLY_MAILER": "pigeon", "ALLY_DELETION_GRACE": "soon"})
	if code != 1 || !strings.Contains(out, "ALLY_MAILER") || !strings.Contains(out, "ALLY_DELETION_GRACE") {
		t.Fatalf("bad config: exit %d\n%s", code, out)
	}
	code, out = run(map[string]string{"ALLY_DATA_DIR": dir, "ALLY_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"})
	if code != 1 || !strings.Contains(out, "database") || !strings.Contains(out, "ALLY_JWT_SECRET") {
		t.Fatalf("unreachable database: exit %d\n%s", code, out)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if code := app.CLI(context.Background(), app.Env{Args: []string{"fly"}, Stdout: &out, Stderr: &out}); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "serve") {
		t.Fatalf("usage not shown: %s", out.String())
	}
}
