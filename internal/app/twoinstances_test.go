package app_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// roundRobin is the load balancer of the test: each request goes to the next instance in
// turn; a request to an instance that refuses connections (it died) goes to the next one,
// as a load balancer's passive health check would.
type roundRobin struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Int64
	served  []atomic.Int64
	// down marks an instance its health check found dead: requests skip it.
	down []atomic.Bool
}

func newRoundRobin(urls ...string) *roundRobin {
	rr := &roundRobin{served: make([]atomic.Int64, len(urls)), down: make([]atomic.Bool, len(urls))}
	for i, raw := range urls {
		u, _ := url.Parse(raw)
		p := httputil.NewSingleHostReverseProxy(u)
		p.FlushInterval = -1 // reply streams pass through as they come
		p.ModifyResponse = func(*http.Response) error { rr.served[i].Add(1); return nil }
		p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Header.Get("X-Test-Retried") == "" && errors.Is(err, syscall.ECONNREFUSED) {
				r.Header.Set("X-Test-Retried", "1")
				rr.proxies[(i+1)%len(rr.proxies)].ServeHTTP(w, r)
				return
			}
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}
		rr.proxies = append(rr.proxies, p)
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(rr.next.Add(1)-1) % len(rr.proxies)
	if rr.down[i].Load() {
		i = (i + 1) % len(rr.proxies)
	}
	rr.proxies[i].ServeHTTP(w, r)
}

// client talks to Ally through the proxy as a user would.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd *strings.Reader
	if body == nil {
		rd = strings.NewReader("")
	} else {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		out["events"] = readEvents(res)
	} else {
		_ = json.NewDecoder(res.Body).Decode(&out)
	}
	return res.StatusCode, out
}

// event is one server-sent event.
type event struct {
	Name string
	Data map[string]any
}

// readEvents reads a reply stream to its end.
func readEvents(res *http.Response) []event {
	var out []event
	var ev event
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" && ev.Name != "":
			out = append(out, ev)
			ev = event{}
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
		}
	}
	return out
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// startBinary runs `ally serve` as its own process (so it can be killed -9) with env.
func startBinary(t *testing.T, env map[string]string) (*exec.Cmd, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ally")
	if out, err := exec.Command("go", "build", "-o", bin, "myally.app/ally/cmd/ally").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`https?://\S+`)
	addr := ""
	for addr == "" && sc.Scan() {
		addr = strings.Replace(re.FindString(sc.Text()), "localhost", "127.0.0.1", 1)
	}
	if addr == "" {
		t.Fatal("the binary did not say where it serves")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return cmd, addr
}

// TestTwoInstancesBehindAProxy runs two instances on one PostgreSQL database behind a
// round-robin proxy: one the real binary (so it can be killed -9), one in-process.
func TestTwoInstancesBehindAProxy(t *testing.T) {
	pg := dbtest.PostgresURL()
	if pg == "" {
		t.Skip("needs ALLY_TEST_POSTGRES_URL: two instances share one PostgreSQL database")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	fake := llmtest.Start(t)
	tg := dbtest.Target{Dialect: "postgres"}
	tg.Options.URL, tg.Options.Schema = pg, dbtest.NewSchema(t, pg)
	env := map[string]string{
		"ANTHROPIC_API_KEY":  "test-key",
		"ANTHROPIC_BASE_URL": fake.URL,
		// Three messages a day: the fourth is refused, whichever instance it reaches.
		"ALLY_PLANS":                  `[{"id":"free","name":"Free","limits":{"messages_per_day":3}}]`,
		"ALLY_SIGNUPS_PER_IP_PER_DAY": "2",
		"ALLY_CHAT_FLUSH_INTERVAL":    "20ms",
		"ALLY_CHAT_FOLLOW_INTERVAL":   "20ms",
		"ALLY_REQUIRE_VERIFIED_EMAIL": "false",
	}
	b := apptest.Start(t, tg, apptest.Options{Env: env})
	procEnv := map[string]string{
		"ALLY_ADDR":         "127.0.0.1:0",
		"ALLY_DATA_DIR":     t.TempDir(),
		"ALLY_DATABASE_URL": pg + sep(pg) + "search_path=" + tg.Options.Schema,
		"ALLY_JWT_SECRET":   "test-secret-test-secret-test-secret-0123",
		"ALLY_LOG_LEVEL":    "warn",
	}
	for k, v := range env {
		procEnv[k] = v
	}
	a, aURL := startBinary(t, procEnv)
	rr := newRoundRobin(aURL, b.URL)
	proxy := httptest.NewServer(rr)
	t.Cleanup(proxy.Close)

	// Requests alternate between the instances.
	for range 10 {
		if code, _ := (client{t: t, base: proxy.URL}).do("GET", "/healthz", nil); code != http.StatusOK {
			t.Fatalf("healthz through the proxy: %d", code)
		}
	}
	if rr.served[0].Load() != 5 || rr.served[1].Load() != 5 {
		t.Fatalf("served %d and %d of 10, want 5 each", rr.served[0].Load(), rr.served[1].Load())
	}

	// Rate limits hold across instances: two signups a day from one address, whichever
	// instance each reaches.
	anon := client{t: t, base: proxy.URL}
	var codes []int
	for i := range 3 {
		code, _ := anon.do("POST", "/api/v1/auth/signup", map[string]any{"name": "U", "email": "u" + string(rune('a'+i)) + "@example.com",
			"password": "correct horse battery staple", "age_confirmed": true})
		codes = append(codes, code)
	}
	if codes[0] >= 300 || codes[1] >= 300 || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("signups through both instances: %v, want two accepted then 429", codes)
	}

	_, token := authtest.NewUser(t, b)
	u := client{t: t, base: proxy.URL, token: token}
	_, conv := u.do("POST", "/api/v1/conversations", map[string]any{})
	convID, _ := conv["id"].(string)

	// Re-attach and stop across instances: a long reply generated by one instance is
	// followed through the other and stopped through the other.
	fake.Script(llmtest.Anthropic, longReply(3000, 5*time.Millisecond))
	posted := rr.streamTo(t, 0, u, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]string{"content": "a long story"})
	replyID := waitStreaming(t, u, convID)
	followed := rr.streamTo(t, 1, u, "GET", "/api/v1/conversations/"+convID+"/stream", nil)
	rr.setTurn(1)
	if code, body := u.do("POST", "/api/v1/messages/"+replyID+"/stop", nil); code != http.StatusOK && code != http.StatusAccepted {
		t.Fatalf("stop through the other instance: %d %v", code, body)
	}
	for name, ch := range map[string]chan []event{"generating": posted, "following": followed} {
		if evs := <-ch; len(evs) == 0 || evs[len(evs)-1].Name != "message_end" || evs[len(evs)-1].Data["status"] != "stopped" {
			t.Fatalf("the %s stream ended with %v", name, lastEvent(evs))
		}
	}

	// Quotas hold across instances: three messages a day, sent alternately.
	_, token2 := authtest.NewUser(t, b)
	u2 := client{t: t, base: proxy.URL, token: token2}
	_, conv2 := u2.do("POST", "/api/v1/conversations", map[string]any{})
	for i := range 4 {
		code, body := u2.do("POST", "/api/v1/conversations/"+conv2["id"].(string)+"/messages", map[string]string{"content": "hi"})
		if i < 3 && code != http.StatusOK {
			t.Fatalf("message %d: %d %v", i+1, code, body)
		}
		if i == 3 && errorCode(body) != "quota_exceeded" {
			t.Fatalf("fourth message of the day: %d %v, want quota_exceeded", code, body)
		}
	}

	// Jobs run once: a task run asked for through the proxy runs on one instance only.
	_, token3 := authtest.NewUser(t, b)
	u3 := client{t: t, base: proxy.URL, token: token3}
	code, task := u3.do("POST", "/api/v1/tasks", map[string]any{"title": "Brief", "instruction": "Summarise my day",
		"schedule": map[string]any{"kind": "daily", "time": "08:00"}, "timezone": "UTC", "channels": []string{"in_app"}})
	if code != http.StatusCreated {
		t.Fatalf("create task: %d %v", code, task)
	}
	taskID := task["id"].(string)
	if code, body := u3.do("POST", "/api/v1/tasks/"+taskID+"/run", nil); code != http.StatusAccepted {
		t.Fatalf("run now: %d %v", code, body)
	}
	eventually(t, "the run to succeed", func() bool {
		_, body := u3.do("GET", "/api/v1/tasks/"+taskID+"/runs", nil)
		runs, _ := body["runs"].([]any)
		return len(runs) == 1 && runs[0].(map[string]any)["status"] == "succeeded"
	})
	var replies int
	if err := b.DB.R.QueryRow(`SELECT count(*) FROM messages WHERE conversation_id = $1 AND role = 'assistant'`, task["conversation_id"]).Scan(&replies); err != nil || replies != 1 {
		t.Fatalf("replies of the task's one run: %d, %v", replies, err)
	}

	// One instance killed -9 mid-reply: the other frees the conversation within seconds,
	// keeping the text saved before the crash.
	fake.Script(llmtest.Anthropic, longReply(5000, 5*time.Millisecond))
	cut := rr.streamTo(t, 0, u, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]string{"content": "another long story"})
	cutID := waitStreaming(t, u, convID)
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = a.Wait()
	<-cut
	// Until its health check notices, a GET to the dead instance is passed on by the
	// proxy's retry on a refused connection; then it is taken out of rotation.
	var m map[string]any
	eventually(t, "the other instance to mark the reply interrupted", func() bool {
		_, m = u.do("GET", "/api/v1/messages/"+cutID, nil)
		return m["status"] == "interrupted"
	})
	if took := time.Since(killed); took > 15*time.Second {
		t.Fatalf("recovery took %v", took)
	}
	if c, _ := m["content"].(string); c == "" || !strings.HasPrefix(strings.Repeat("word ", 5000), c) {
		t.Fatalf("interrupted reply kept %q", c)
	}
	rr.down[0].Store(true)
	fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "still here"})
	code, out := u.do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]string{"content": "are you there?"})
	evs, _ := out["events"].([]event)
	if code != http.StatusOK || lastEvent(evs) == nil || evs[len(evs)-1].Data["status"] != "complete" {
		t.Fatalf("next turn after the crash: %d %v", code, lastEvent(evs))
	}
}

// turn and setTurn read and choose the instance the next request goes to (the proxy's
// round-robin position), so a test can send a request to the other instance.
func (rr *roundRobin) turn() int { return int(rr.next.Load()) % len(rr.proxies) }

func (rr *roundRobin) setTurn(i int) {
	for rr.turn() != i {
		rr.next.Add(1)
	}
}

// stream sends a request whose answer is a reply stream and reads it in the background.
func stream(u client, method, path string, body any) chan []event {
	ch := make(chan []event, 1)
	go func() {
		var rd *strings.Reader
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
		req, _ := http.NewRequest(method, u.base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+u.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- nil
			return
		}
		defer res.Body.Close()
		ch <- readEvents(res)
	}()
	return ch
}

// streamTo sends a streaming request through the proxy to instance i and returns once
// that instance answered (its response headers passed the proxy).
func (rr *roundRobin) streamTo(t *testing.T, i int, u client, method, path string, body any) chan []event {
	t.Helper()
	before := rr.served[i].Load()
	rr.setTurn(i)
	ch := stream(u, method, path, body)
	eventually(t, "the stream to start", func() bool { return rr.served[i].Load() > before })
	return ch
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling for an event, not waiting for time
	}
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func longReply(words int, delay time.Duration) llmtest.Reply {
	return llmtest.Reply{Text: strings.TrimSpace(strings.Repeat("word ", words)), ChunkDelay: delay}
}

func lastEvent(evs []event) any {
	if len(evs) == 0 {
		return nil
	}
	return evs[len(evs)-1]
}

// waitStreaming returns the id of the conversation's reply once it is streaming.
func waitStreaming(t *testing.T, u client, convID string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		_, page := u.do("GET", "/api/v1/conversations/"+convID+"/messages", nil)
		msgs, _ := page["messages"].([]any)
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			if mm["role"] == "assistant" && mm["status"] == "streaming" && mm["content"] != "" {
				return mm["id"].(string)
			}
		}
		time.Sleep(20 * time.Millisecond) // polling for the reply to start
	}
	t.Fatal("no reply started streaming")
	return ""
}
