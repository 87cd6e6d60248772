package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db"
)

// must checks a response's status and returns it.
func must(t *testing.T, res *apptest.Response, status int, what string) *apptest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, res.Status, status, res.Body)
	}
	return res
}

// exec runs a statement on the instance's database (seeding rows a real run would write).
func exec(t *testing.T, s *apptest.Server, q string, args ...any) {
	t.Helper()
	if _, err := s.DB.W.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("seed %q: %v", q[:min(len(q), 40)], err)
	}
}

// setPlan puts the user on a plan.
func setPlan(t *testing.T, s *apptest.Server, userID, plan string) {
	t.Helper()
	exec(t, s, `UPDATE users SET plan = $1 WHERE id = $2`, plan, userID)
}

// seedUsage records a day of usage for the user.
func seedUsage(t *testing.T, s *apptest.Server, userID, day string, messages, tokens int64) {
	t.Helper()
	exec(t, s, `INSERT INTO usage_daily (user_id, day, messages, model_calls, fallback_calls, input_tokens, output_tokens, cost_micros, updated_at)
		VALUES ($1, $2, $3, $3, 0, $4, 0, $4, $5)`, userID, day, messages, tokens, db.Millis(time.Now()))
}

// get sends a GET with a bearer token and returns the response.
func get(s *apptest.Server, path, token string) *apptest.Response {
	return s.Do(http.MethodGet, path, token, nil)
}

func contains(body []byte, s string) bool { return strings.Contains(string(body), s) }
