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

// TestRunNowDeliversToChannels runs a task now: 202 with the queued run, then the reply
// is stored in the task's conversation and delivered in-app and by email, each delivery
// recorded sent with its provider id; the estimate then uses the run's tokens.
func TestRunNowDeliversToChannels(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, tok := user(t, s)
		b := daily("08:00")
		b["channels"] = []string{"in_app", "email"}
		tk := createTask(t, s, tok, b)

		res := s.Do("POST", "/api/v1/tasks/"+tk.ID+"/run", tok, nil)
		var started struct{ Run tasks.Run }
		res.JSON(t, &started)
		if res.Status != http.StatusAccepted || started.Run.ID == "" || started.Run.Status != tasks.RunQueued || !started.Run.Manual {
			t.Fatalf("run now: %d %s", res.Status, res.Body)
		}
		runs := waitRuns(t, s, tok, tk.ID, settled)
		r := runs[0]
		if len(runs) != 1 || r.Status != tasks.RunSucceeded || r.MessageID == nil || r.StartedAt == nil || r.FinishedAt == nil || r.Attempts != 1 {
			t.Fatalf("run: %+v", r)
		}
		var content string
		if err := s.DB.R.QueryRowContext(context.Background(), `SELECT content FROM messages WHERE id = $1 AND conversation_id = $2 AND role = 'assistant'`,
			*r.MessageID, tk.ConversationID).Scan(&content); err != nil || !strings.Contains(content, "Summarise my day") {
			t.Fatalf("reply in the task's conversation: %q %v", content, err)
		}
		got := map[string]tasks.Delivery{}
		for _, d := range r.Deliveries {
			got[d.Channel] = d
		}
		if d := got["in_app"]; d.Status != tasks.DeliverySent || d.ProviderID == nil || *d.ProviderID != *r.MessageID || d.SentAt == nil {
			t.Fatalf("in-app delivery: %+v", d)
		}
		d := got["email"]
		if d.Status != tasks.DeliverySent || d.ProviderID == nil {
			t.Fatalf("email delivery: %+v", d)
		}
		var kind, text string
		if err := s.DB.R.QueryRowContext(context.Background(), `SELECT kind, text_body FROM mail_outbox WHERE id = $1 AND user_id = $2`,
			*d.ProviderID, uid).Scan(&kind, &text); err != nil || kind != "task_result" || !strings.Contains(text, "Summarise my day") {
			t.Fatalf("email: %s %q %v", kind, text, err)
		}

		var after tasks.Task
		s.Do("GET", "/api/v1/tasks/"+tk.ID, tok, nil).JSON(t, &after)
		if after.LastRun == nil || after.LastRun.ID != r.ID || after.Estimate.TokensPerRun == tasks.DefaultTokensPerRun || after.Estimate.TokensPerRun <= 0 {
			t.Fatalf("after the run: last_run %+v estimate %+v", after.LastRun, after.Estimate)
		}
	})
}

// TestDueRunsRunOnceAcrossInstances has two instances sweep the same database for 200
// tasks due in the same minute: every task gets exactly one run and one stored reply.
func TestDueRunsRunOnceAcrossInstances(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		a := start(t, tg, fake, apptest.Options{})
		b := start(t, tg, fake, apptest.Options{DataDir: a.Config.DataDir})
		const users, perUser = 10, 20
		type owned struct{ token, id, conv string }
		var all []owned
		for range users {
			_, tok := authtest.NewUser(t, a)
			for range perUser {
				tk := createTask(t, a, tok, daily("08:00"))
				all = append(all, owned{tok, tk.ID, tk.ConversationID})
			}
		}
		var first tasks.Task
		a.Do("GET", "/api/v1/tasks/"+all[0].id, all[0].token, nil).JSON(t, &first)
		due := *first.NextRunAt
		c := &clock{}
		c.Set(due.Add(30 * time.Second))
		a.Tasks.SetClock(c.Now)
		b.Tasks.SetClock(c.Now)

		var wg sync.WaitGroup
		var mu sync.Mutex
		recorded := 0
		for range 3 {
			for _, s := range []*apptest.Server{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.Tasks.Sweep(context.Background())
					if err != nil {
						t.Errorf("sweep: %v", err)
					}
					mu.Lock()
					recorded += n
					mu.Unlock()
				}()
			}
		}
		wg.Wait()
		if recorded != users*perUser {
			t.Fatalf("sweeps recorded %d runs, want %d", recorded, users*perUser)
		}
		deadline := time.Now().Add(120 * time.Second)
		for count(t, a, `SELECT COUNT(*) FROM task_runs WHERE status IN ('queued', 'running')`) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("runs did not finish")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := count(t, a, `SELECT COUNT(*) FROM task_runs WHERE status = 'succeeded'`); n != users*perUser {
			t.Fatalf("%d succeeded runs, want %d", n, users*perUser)
		}
		if n := count(t, a, `SELECT COUNT(*) FROM (SELECT task_id FROM task_runs GROUP BY task_id HAVING COUNT(*) <> 1) x`); n != 0 {
			t.Fatalf("%d tasks without exactly one run", n)
		}
		for _, o := range all {
			if n := count(t, a, `SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND role = 'assistant'`, o.conv); n != 1 {
				t.Fatalf("task %s has %d replies", o.id, n)
			}
		}
		// The next run is tomorrow's.
		var next tasks.Task
		a.Do("GET", "/api/v1/tasks/"+all[0].id, all[0].token, nil).JSON(t, &next)
		if next.NextRunAt == nil || !next.NextRunAt.Equal(due.Add(24*time.Hour)) {
			t.Fatalf("next run %v, want %v", next.NextRunAt, due.Add(24*time.Hour))
		}
	})
}

// TestMissedRunsAfterRestart stops the instance, moves time past a task's due time and
// starts again: within the grace the run happens once; beyond it one missed run is
// recorded (not one per missed day) and the schedule continues from now.
func TestMissedRunsAfterRestart(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		a := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, a)
		late := createTask(t, a, tok, daily("08:00"))
		missed := createTask(t, a, tok, daily("08:00"))
		// The second is paused while the first's run happens, so each is checked alone.
		a.Do("PATCH", "/api/v1/tasks/"+missed.ID, tok, map[string]any{"enabled": false})
		due := *late.NextRunAt
		a.Stop()

		c := &clock{}
		b := start(t, tg, fake, apptest.Options{DataDir: a.Config.DataDir})
		c.Set(due.Add(40 * time.Minute)) // within the default grace of 1h
		b.Tasks.SetClock(c.Now)
		if n := sweep(t, b); n != 1 {
			t.Fatalf("sweep after 40 minutes recorded %d runs, want 1", n)
		}
		runs := waitRuns(t, b, tok, late.ID, settled)
		if len(runs) != 1 || runs[0].Status != tasks.RunSucceeded || !runs[0].ScheduledFor.Equal(due) {
			t.Fatalf("late run: %+v", runs)
		}
		b.Stop()

		// Three days later, with the second task enabled again before the downtime.
		d := start(t, tg, fake, apptest.Options{DataDir: a.Config.DataDir})
		c.Set(due.Add(-time.Hour))
		d.Tasks.SetClock(c.Now)
		d.Do("PATCH", "/api/v1/tasks/"+missed.ID, tok, map[string]any{"enabled": true})
		d.Stop()
		e := start(t, tg, fake, apptest.Options{DataDir: a.Config.DataDir})
		now := due.Add(3*24*time.Hour + 2*time.Hour)
		c.Set(now)
		e.Tasks.SetClock(c.Now)
		sweep(t, e)
		runs = waitRuns(t, e, tok, missed.ID, settled)
		if len(runs) != 1 || runs[0].Status != tasks.RunMissed || runs[0].Error == nil || !strings.Contains(*runs[0].Error, "missed") {
			t.Fatalf("missed runs: %+v", runs)
		}
		var tk tasks.Task
		e.Do("GET", "/api/v1/tasks/"+missed.ID, tok, nil).JSON(t, &tk)
		if tk.NextRunAt == nil || !tk.NextRunAt.After(now) || tk.NextRunAt.Sub(now) > 24*time.Hour {
			t.Fatalf("next run %v does not continue from now %v", tk.NextRunAt, now)
		}
		if n := sweep(t, e); n != 0 {
			t.Fatalf("a second sweep recorded %d runs", n)
		}
		if n := count(t, e, `SELECT COUNT(*) FROM messages WHERE conversation_id = $1`, missed.ConversationID); n != 0 {
			t.Fatalf("a missed run wrote %d messages", n)
		}
	})
}

var _ = fmt.Sprint
