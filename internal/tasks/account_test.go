package tasks_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/tasks"
)

// TestSuspendedAccountNeverFires records the run of a suspended account as missed with
// the reason, without a reply.
func TestSuspendedAccountNeverFires(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		email := "suspended-" + string(tg.Dialect) + "@example.com"
		_, tok := authtest.NewUser(t, s, authtest.Email(email))
		tk := createTask(t, s, tok, daily("08:00"))
		if _, err := s.Auth.Suspend(context.Background(), email); err != nil {
			t.Fatal(err)
		}
		c := &clock{}
		c.Set(tk.NextRunAt.Add(time.Minute))
		s.Tasks.SetClock(c.Now)
		sweep(t, s)
		deadline := time.Now().Add(30 * time.Second)
		for count(t, s, `SELECT COUNT(*) FROM task_runs WHERE task_id = $1 AND status IN ('queued','running')`, tk.ID) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("run did not finish")
			}
			time.Sleep(50 * time.Millisecond)
		}
		var status, reason string
		if err := s.DB.R.QueryRowContext(context.Background(), `SELECT status, error FROM task_runs WHERE task_id = $1`, tk.ID).Scan(&status, &reason); err != nil {
			t.Fatal(err)
		}
		if status != tasks.RunMissed || !strings.Contains(reason, "suspended") {
			t.Fatalf("run of a suspended account: %s %q", status, reason)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM messages WHERE conversation_id = $1`, tk.ConversationID); n != 0 {
			t.Fatalf("a suspended account's task wrote %d messages", n)
		}
	})
}

// TestDeletionPausesAndRecoveryResumes pauses the tasks in the deletion's transaction and
// resumes exactly those at recovery; a task the user had paused stays paused.
func TestDeletionPausesAndRecoveryResumes(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		email := "leaving-" + string(tg.Dialect) + "@example.com"
		uid, tok := authtest.NewUser(t, s, authtest.Email(email))
		on := createTask(t, s, tok, daily("08:00"))
		offBody := daily("09:00")
		offBody["enabled"] = false
		off := createTask(t, s, tok, offBody)

		if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM tasks WHERE user_id = $1 AND enabled = 1`, uid); n != 0 {
			t.Fatalf("%d tasks still enabled after deletion", n)
		}
		// Nothing fires while deleted.
		c := &clock{}
		c.Set(on.NextRunAt.Add(time.Minute))
		s.Tasks.SetClock(c.Now)
		if n := sweep(t, s); n != 0 {
			t.Fatalf("a deleted account's tasks recorded %d runs", n)
		}
		c.Set(time.Now())

		res := s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": email, "password": authtest.Password})
		if res.Status != http.StatusOK {
			t.Fatalf("recover: %d %s", res.Status, res.Body)
		}
		var rec struct {
			Token string `json:"token"`
		}
		res.JSON(t, &rec)
		var got tasks.Task
		s.Do("GET", "/api/v1/tasks/"+on.ID, rec.Token, nil).JSON(t, &got)
		if !got.Enabled || got.NextRunAt == nil || !got.NextRunAt.After(time.Now()) {
			t.Fatalf("recovered task: %+v", got)
		}
		s.Do("GET", "/api/v1/tasks/"+off.ID, rec.Token, nil).JSON(t, &got)
		if got.Enabled {
			t.Fatal("recovery enabled a task the user had paused")
		}
	})
}

// TestFailedRunsShowAndPauseTheTask: a run refused by the plan's quota fails at once with
// the quota's message; after five failed runs in a row the task is paused, with the
// reason on the task and in an email.
func TestFailedRunsShowAndPauseTheTask(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{},
			"ALLY_PLANS", `[{"id":"free","name":"Free","limits":{"messages_per_day":0}}]`)
		uid, tok := user(t, s)
		tk := createTask(t, s, tok, daily("08:00"))
		for i := range tasks.DisableAfter {
			res := s.Do("POST", "/api/v1/tasks/"+tk.ID+"/run", tok, nil)
			if res.Status != http.StatusAccepted {
				t.Fatalf("run %d: %d %s", i, res.Status, res.Body)
			}
			runs := waitRuns(t, s, tok, tk.ID, settled)
			if len(runs) != i+1 || runs[0].Status != tasks.RunFailed || runs[0].Error == nil || runs[0].Attempts != 1 {
				t.Fatalf("run %d: %+v", i, runs[0])
			}
			if i == 0 && !strings.Contains(strings.ToLower(*runs[0].Error), "message") {
				t.Fatalf("the quota's reason is not shown: %q", *runs[0].Error)
			}
		}
		var got tasks.Task
		s.Do("GET", "/api/v1/tasks/"+tk.ID, tok, nil).JSON(t, &got)
		if got.Enabled || got.NextRunAt != nil || !strings.Contains(got.DisabledReason, "5 failed runs") {
			t.Fatalf("after five failures: enabled %v next %v reason %q", got.Enabled, got.NextRunAt, got.DisabledReason)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM mail_outbox WHERE user_id = $1 AND kind = 'task_disabled'`, uid); n != 1 {
			t.Fatalf("%d task_disabled emails, want 1", n)
		}
		// Enabling again clears the reason.
		res := s.Do("PATCH", "/api/v1/tasks/"+tk.ID, tok, map[string]any{"enabled": true})
		var again tasks.Task
		res.JSON(t, &again)
		if !again.Enabled || again.DisabledReason != "" {
			t.Fatalf("enabled again: %s", res.Body)
		}
	})
}
