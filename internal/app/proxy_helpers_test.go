package app_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
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
