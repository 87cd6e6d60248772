// Package apptest starts real Ally instances for end-to-end API tests: the full wiring,
// middleware and job queue, on SQLite or PostgreSQL, listening on a free local port.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db/dbtest"
)

// Server is a running instance.
type Server struct {
	*app.Main
	T testing.TB
	// Logs holds every log line the instance wrote (tests assert on what is never logged).
	Logs *LogBuffer
	// Header is added to every request Do sends (e.g. X-Forwarded-For through a proxy).
	Header http.Header
}

// Options adjust an instance before it starts.
type Options struct {
	// Env overrides configuration variables (names as in docs/configuration.md).
	Env map[string]string
	// DataDir reuses a data directory (to restart an instance on the same SQLite file).
	DataDir string
	// Before, if set, adjusts the opened instance just before it starts listening (e.g.
	// the HTTP client it talks to a test ACME CA with).
	Before func(*app.Main)
}

// Start opens and starts an instance on the target database; it is shut down when the
// test ends.
func Start(t testing.TB, tg dbtest.Target, o Options) *Server {
	t.Helper()
	env := map[string]string{
		"ALLY_ADDR":             "127.0.0.1:0",
		"ALLY_DATA_DIR":         o.DataDir,
		"ALLY_JWT_SECRET":       "test-secret-test-secret-test-secret-0123",
		"ALLY_LOG_LEVEL":        "debug",
		"ALLY_SHUTDOWN_TIMEOUT": "10s",
		// The cheapest bcrypt cost keeps tests fast; production defaults to 12.
		"ALLY_BCRYPT_COST": "4",
	}
	if env["ALLY_DATA_DIR"] == "" {
		env["ALLY_DATA_DIR"] = t.TempDir()
	}
	if tg.Dialect == "postgres" {
		env["ALLY_DATABASE_URL"] = tg.Options.URL
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	logs := &LogBuffer{}
	m := app.New(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	m.DBOptions = tg.Options
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		m.Close()
		t.Fatalf("apptest: open: %v", err)
	}
	if o.Before != nil {
		o.Before(m)
	}
	if err := m.Start(ctx); err != nil {
		m.Close()
		t.Fatalf("apptest: start: %v", err)
	}
	s := &Server{Main: m, T: t, Logs: logs}
	t.Cleanup(func() { s.Stop() })
	return s
}

// Stop shuts the instance down gracefully (idempotent).
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("apptest: response is not JSON (%v): %s", err, r.Body)
	}
}

// ErrorCode returns the error code of a JSON error response, or "".
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request with an optional bearer token and JSON body (a string is sent as is).
func (s *Server) Do(method, path, token string, body any) *Response {
	s.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.T.Fatalf("apptest: encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.T.Fatalf("apptest: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range s.Header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// LogBuffer collects log output safely from many goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
