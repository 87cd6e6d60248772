package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// user is one simulated person, with their own client address and connection pool.
type user struct {
	http  *http.Client
	base  string
	token string
	conv  string
}

// newClient returns an HTTP client whose connections come from a distinct loopback
// address, so per-IP limits see many clients, as in production.
func newClient(i int) *http.Client {
	local := &net.TCPAddr{IP: net.IPv4(127, 1, byte(i/250), byte(i%250+1))}
	d := &net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: 4,
		DisableCompression:  true,
	}}
}

func (u *user) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if u.token != "" {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	res, err := u.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// signIn creates the account and signs in.
func (u *user) signIn(ctx context.Context, i int, tag string) error {
	email := fmt.Sprintf("bench-%s-%d@example.com", tag, i)
	pw := "correct horse battery staple " + tag
	if err := u.do(ctx, "POST", "/api/v1/auth/signup", map[string]any{"name": fmt.Sprintf("Bench %d", i), "email": email, "password": pw, "age_confirmed": true}, nil); err != nil {
		return err
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := u.do(ctx, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": pw}, &login); err != nil {
		return err
	}
	u.token = login.Token
	var conv struct {
		ID string `json:"id"`
	}
	if err := u.do(ctx, "POST", "/api/v1/conversations", map[string]any{"title": "Benchmark"}, &conv); err != nil {
		return err
	}
	u.conv = conv.ID
	return nil
}

// turn is the measurement of one streamed reply.
type turn struct {
	firstToken time.Duration // from sending to the first text delta
	total      time.Duration // from sending to the end of the stream
	deltas     int
	bytes      int
	err        error
}

// send posts a message and reads the reply's event stream to its end. onFirst, if set, is
// called when the first text arrives.
func (u *user) send(ctx context.Context, text string, onFirst func()) turn {
	b, _ := json.Marshal(map[string]any{"content": text})
	req, _ := http.NewRequestWithContext(ctx, "POST", u.base+"/api/v1/conversations/"+u.conv+"/messages", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+u.token)
	t0 := time.Now()
	res, err := u.http.Do(req)
	if err != nil {
		return turn{err: err}
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		body, _ := io.ReadAll(res.Body)
		return turn{err: fmt.Errorf("send: %d %s", res.StatusCode, strings.TrimSpace(string(body)))}
	}
	var t turn
	var event string
	status := ""
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: "):
			switch event {
			case "delta":
				if t.deltas == 0 {
					t.firstToken = time.Since(t0)
					if onFirst != nil {
						onFirst()
					}
				}
				t.deltas++
				t.bytes += len(line) - 6
			case "message_end":
				var end struct {
					Status string `json:"status"`
				}
				_ = json.Unmarshal([]byte(line[6:]), &end)
				status = end.Status
			case "error":
				t.err = fmt.Errorf("stream error: %s", line[6:])
			}
		}
	}
	t.total = time.Since(t0)
	if t.err == nil && sc.Err() != nil {
		t.err = sc.Err()
	}
	if t.err == nil && status != "complete" && status != "completed" {
		t.err = fmt.Errorf("reply ended with status %q", status)
	}
	return t
}

// direct streams one reply straight from the fake model server (Anthropic wire format),
// the baseline Ally's added latency is measured against.
func direct(ctx context.Context, c *http.Client, fakeURL, text string) turn {
	body, _ := json.Marshal(map[string]any{
		"model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": true,
		"messages": []map[string]any{{"role": "user", "content": text}},
	})
	req, _ := http.NewRequestWithContext(ctx, "POST", fakeURL+"/v1/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "bench")
	req.Header.Set("anthropic-version", "2023-06-01")
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return turn{err: err}
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return turn{err: fmt.Errorf("fake: %d", res.StatusCode)}
	}
	var t turn
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"text_delta"`) {
			if t.deltas == 0 {
				t.firstToken = time.Since(t0)
			}
			t.deltas++
		}
	}
	t.total = time.Since(t0)
	return t
}
