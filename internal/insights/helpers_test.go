package insights_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/insights"
	"myally.app/ally/internal/llm/llmtest"
)

// The fake reviewer's bullets and the injection that tempts it (llmtest's review answers).
const (
	shortBullet = llmtest.ReviewBullet
	injection   = llmtest.ReviewInjection
)

// reviewer is the fake's default responder, which answers review requests.
var reviewer = llmtest.DefaultResponder(llmtest.ScriptOptions{ReplyWords: 12})

// fakeModels starts the fake provider with the reviewer.
func fakeModels(t testing.TB) *llmtest.Server {
	f := llmtest.New(llmtest.Options{Record: true, Responder: reviewer})
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	f.URL = hs.URL
	return f
}

// start runs an instance against the fake (Claude: batches available).
func start(t testing.TB, tg dbtest.Target, fake *llmtest.Server, o apptest.Options) *apptest.Server {
	t.Helper()
	env := map[string]string{
		"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake.URL, "ALLY_LLM_PROVIDERS": "anthropic",
		"ALLY_CHAT_FLUSH_INTERVAL": "20ms", "ALLY_PLANS": `[{"id":"free","name":"Free","limits":{}}]`,
	}
	for k, v := range o.Env {
		env[k] = v
	}
	o.Env = env
	return apptest.Start(t, tg, o)
}

// atNight sets the analysis clock to 03:30 UTC of the day after now: every UTC user's
// night is due, and the night analysed is today.
func atNight(s *apptest.Server) string {
	now := time.Now().UTC()
	s.Insights.SetClock(func() time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+1, 3, 30, 0, 0, time.UTC)
	})
	return now.Format(time.DateOnly)
}

func newUser(t testing.TB, s *apptest.Server) (string, string) {
	t.Helper()
	return authtest.NewUser(t, s)
}

// chatTurn sends content in a new or given conversation and returns the conversation and
// the reply's id.
func chatTurn(t testing.TB, s *apptest.Server, token, convID, content string) (string, string) {
	t.Helper()
	if convID == "" {
		res := s.Do("POST", "/api/v1/conversations", token, map[string]any{})
		var c struct{ ID string }
		res.JSON(t, &c)
		convID = c.ID
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/conversations/"+convID+"/messages", strings.NewReader(fmt.Sprintf(`{"content":%q}`, content)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "message_end") {
		t.Fatalf("send: %d %s", res.StatusCode, body)
	}
	page := s.Do("GET", "/api/v1/conversations/"+convID+"/messages", token, nil)
	var p struct {
		Messages []struct{ ID, Role string }
	}
	page.JSON(t, &p)
	last := p.Messages[len(p.Messages)-1]
	if last.Role != "assistant" {
		t.Fatalf("last message is %s", last.Role)
	}
	return convID, last.ID
}

func thumbsDown(t testing.TB, s *apptest.Server, token, msgID, reason string) {
	t.Helper()
	if res := s.Do("PUT", "/api/v1/messages/"+msgID+"/feedback", token, map[string]any{"rating": "down", "reason": reason}); res.Status != 200 {
		t.Fatalf("feedback: %d %s", res.Status, res.Body)
	}
}

// dayWithThumbsDown is a day of two conversations with a disliked long reply in each.
func dayWithThumbsDown(t testing.TB, s *apptest.Server, token string) (downs []string) {
	c1, r1 := chatTurn(t, s, token, "", "Explain how tides work")
	chatTurn(t, s, token, c1, "And why are there two a day?")
	_, r2 := chatTurn(t, s, token, "", "What is a good name for a cat?")
	thumbsDown(t, s, token, r1, "far too long")
	thumbsDown(t, s, token, r2, "too long again, I wanted one line")
	return []string{r1, r2}
}

func guidance(t testing.TB, s *apptest.Server, token string) insights.GuidanceView {
	t.Helper()
	res := s.Do("GET", "/api/v1/me/guidance", token, nil)
	if res.Status != 200 {
		t.Fatalf("guidance: %d %s", res.Status, res.Body)
	}
	var v insights.GuidanceView
	res.JSON(t, &v)
	return v
}

func sweep(t testing.TB, s *apptest.Server) insights.SweepResult {
	t.Helper()
	res, err := s.Insights.Sweep(context.Background())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return res
}

// pollUntilEnded polls the batch as its job would, until it stops snoozing.
func pollUntilEnded(t testing.TB, s *apptest.Server, batchID string) {
	t.Helper()
	for i := 0; i < 10; i++ {
		err := s.Insights.Poll(context.Background(), batchID)
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) {
			continue
		}
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		return
	}
	t.Fatal("the batch never ended")
}

// runNight runs the night's job; when the instance's own worker is running the same job
// it waits for that one to finish the night.
func runNight(t testing.TB, s *apptest.Server, userID, night string) {
	t.Helper()
	err := s.Insights.RunNight(context.Background(), userID, night)
	if errors.Is(err, insights.ErrBusy) {
		deadline := time.Now().Add(30 * time.Second)
		for st := runStatus(t, s, userID, night); st == insights.RunAnalysing || st == insights.RunAnswered; st = runStatus(t, s, userID, night) {
			if time.Now().After(deadline) {
				t.Fatalf("the night stayed %s", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return
	}
	if err != nil {
		t.Fatalf("run night: %v", err)
	}
}

func count(t testing.TB, s *apptest.Server, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func runStatus(t testing.TB, s *apptest.Server, userID, night string) string {
	t.Helper()
	var st string
	if err := s.DB.R.QueryRowContext(context.Background(), `SELECT status FROM nightly_runs WHERE user_id = $1 AND night = $2`,
		userID, night).Scan(&st); err != nil {
		return ""
	}
	return st
}

// reviewCalls counts the direct review calls (not batches) the fake received.
func reviewCalls(f *llmtest.Server) int {
	n := 0
	for _, r := range f.Requests(llmtest.Anthropic) {
		if r.Path == "/v1/messages" && strings.Contains(string(r.Body), `"record_review"`) {
			n++
		}
	}
	return n
}

// batchCreations counts the batches the fake was asked to create.
func batchCreations(f *llmtest.Server) int {
	n := 0
	for _, r := range f.Requests(llmtest.Anthropic) {
		if r.Method == "POST" && r.Path == "/v1/messages/batches" {
			n++
		}
	}
	return n
}

// submittedBatch returns the batch the night was submitted in. The instance's own hourly
// sweep (run at start, late under load) may be the one that submits it, concurrently with
// the test's sweep, so it waits for the batch to reach the fake.
func submittedBatch(t testing.TB, fake *llmtest.Server) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b := fake.Batches(); len(b) > 0 {
			return b[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no batch was submitted")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitRunStatus waits until the user-night reaches status (see submittedBatch for why).
func waitRunStatus(t testing.TB, s *apptest.Server, userID, night, status string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for runStatus(t, s, userID, night) != status {
		if time.Now().After(deadline) {
			t.Fatalf("run is %q, want %q", runStatus(t, s, userID, night), status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
