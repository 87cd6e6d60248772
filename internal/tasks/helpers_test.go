package tasks_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/tasks"
)

// unlimitedPlans is one plan without limits (the limit tests set their own).
const unlimitedPlans = `[{"id":"free","name":"Free","limits":{}}]`

// env points an instance at the fake model provider.
func env(fake *llmtest.Server, extra ...string) map[string]string {
	e := map[string]string{
		"ANTHROPIC_API_KEY":         "test-key",
		"ANTHROPIC_BASE_URL":        fake.URL,
		"ALLY_LLM_PROVIDERS":        "anthropic",
		"ALLY_CHAT_FLUSH_INTERVAL":  "20ms",
		"ALLY_CHAT_FOLLOW_INTERVAL": "20ms",
		"ALLY_PLANS":                unlimitedPlans,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i]] = extra[i+1]
	}
	return e
}

// start runs an instance on tg against fake.
func start(t *testing.T, tg dbtest.Target, fake *llmtest.Server, o apptest.Options, extra ...string) *apptest.Server {
	t.Helper()
	e := env(fake, extra...)
	for k, v := range o.Env {
		e[k] = v
	}
	o.Env = e
	s := apptest.Start(t, tg, o)
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(s.Logs.String(), "\n") {
				if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) {
					t.Log(l)
				}
			}
		}
	})
	return s
}

// clock is a settable time shared by the instances of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func user(t *testing.T, s *apptest.Server) (string, string) {
	t.Helper()
	return authtest.NewUser(t, s)
}

func createTask(t *testing.T, s *apptest.Server, token string, body map[string]any) tasks.Task {
	t.Helper()
	res := s.Do("POST", "/api/v1/tasks", token, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create task: %d %s", res.Status, res.Body)
	}
	var tk tasks.Task
	res.JSON(t, &tk)
	return tk
}

func daily(at string) map[string]any {
	return map[string]any{"title": "Morning brief", "instruction": "Summarise my day",
		"schedule": map[string]any{"kind": "daily", "time": at}, "timezone": "UTC", "channels": []string{"in_app"}}
}

func runsOf(t *testing.T, s *apptest.Server, token, id string) []tasks.Run {
	t.Helper()
	res := s.Do("GET", "/api/v1/tasks/"+id+"/runs", token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("runs: %d %s", res.Status, res.Body)
	}
	var out struct{ Runs []tasks.Run }
	res.JSON(t, &out)
	return out.Runs
}

// waitRuns polls until done reports true for the task's runs, or fails after a deadline.
func waitRuns(t *testing.T, s *apptest.Server, token, id string, done func([]tasks.Run) bool) []tasks.Run {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		runs := runsOf(t, s, token, id)
		if done(runs) {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs did not settle: %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func settled(runs []tasks.Run) bool {
	if len(runs) == 0 {
		return false
	}
	for _, r := range runs {
		if r.Status == tasks.RunQueued || r.Status == tasks.RunRunning {
			return false
		}
		for _, d := range r.Deliveries {
			if d.Status == tasks.DeliveryPending {
				return false
			}
		}
		if r.Status == tasks.RunSucceeded && len(r.Deliveries) == 0 {
			return false
		}
	}
	return true
}

func count(t *testing.T, s *apptest.Server, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func sweep(t *testing.T, s *apptest.Server) int {
	t.Helper()
	n, err := s.Tasks.Sweep(context.Background())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return n
}

var _ = fmt.Sprint
