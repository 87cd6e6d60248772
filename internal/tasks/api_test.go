package tasks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/tasks"
)

// TestTaskLifecycle creates, lists, edits, pauses and deletes a task; the JSON has the
// §15 shape and another user's requests for it answer 404.
func TestTaskLifecycle(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, s)
		_, other := user(t, s)

		body := daily("08:00")
		body["timezone"] = "Europe/Berlin"
		body["channels"] = []string{"in_app", "email"}
		tk := createTask(t, s, tok, body)
		if tk.ID == "" || tk.ConversationID == "" || !tk.Enabled || tk.NextRunAt == nil || tk.LastRun != nil ||
			tk.Timezone != "Europe/Berlin" || len(tk.Channels) != 2 {
			t.Fatalf("created task: %+v", tk)
		}
		if got := tk.NextRunAt.In(mustZone(t, "Europe/Berlin")); got.Hour() != 8 || got.Minute() != 0 || !got.After(time.Now()) {
			t.Fatalf("next_run_at %v is not the next 08:00 in Berlin", got)
		}
		if tk.Estimate.TokensPerRun != tasks.DefaultTokensPerRun || tk.Estimate.RunsPerMonth < 29 || tk.Estimate.RunsPerMonth > 31 {
			t.Fatalf("estimate: %+v", tk.Estimate)
		}

		var list tasks.TaskList
		res := s.Do("GET", "/api/v1/tasks", tok, nil)
		res.JSON(t, &list)
		if len(list.Tasks) != 1 || list.ProjectedTokensMonth != tk.Estimate.TokensPerRun*tk.Estimate.RunsPerMonth {
			t.Fatalf("list: %s", res.Body)
		}
		for _, key := range []string{`"last_run":null`, `"estimate":{"tokens_per_run":3000`, `"schedule":{"kind":"daily"`, `"projected_tokens_month":`} {
			if !strings.Contains(string(res.Body), key) {
				t.Fatalf("list lacks %s: %s", key, res.Body)
			}
		}

		// Pausing clears the next run; resuming computes it again.
		res = s.Do("PATCH", "/api/v1/tasks/"+tk.ID, tok, map[string]any{"enabled": false})
		var paused tasks.Task
		res.JSON(t, &paused)
		if res.Status != http.StatusOK || paused.Enabled || paused.NextRunAt != nil {
			t.Fatalf("pause: %d %s", res.Status, res.Body)
		}
		res = s.Do("PATCH", "/api/v1/tasks/"+tk.ID, tok, map[string]any{"enabled": true, "title": "Evening brief",
			"schedule": map[string]any{"kind": "weekly", "weekday": 1, "time": "18:30"}})
		var resumed tasks.Task
		res.JSON(t, &resumed)
		if res.Status != http.StatusOK || !resumed.Enabled || resumed.NextRunAt == nil || resumed.Title != "Evening brief" ||
			resumed.NextRunAt.In(mustZone(t, "Europe/Berlin")).Weekday() != time.Monday {
			t.Fatalf("resume: %d %s", res.Status, res.Body)
		}

		// Another user sees nothing of it.
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/v1/tasks/" + tk.ID}, {"PATCH", "/api/v1/tasks/" + tk.ID}, {"DELETE", "/api/v1/tasks/" + tk.ID},
			{"POST", "/api/v1/tasks/" + tk.ID + "/run"}, {"GET", "/api/v1/tasks/" + tk.ID + "/runs"},
		} {
			var b any
			if r.method == "PATCH" {
				b = map[string]any{"enabled": false}
			}
			if res := s.Do(r.method, r.path, other, b); res.Status != http.StatusNotFound {
				t.Fatalf("%s %s as another user: %d %s", r.method, r.path, res.Status, res.Body)
			}
		}
		var otherList tasks.TaskList
		s.Do("GET", "/api/v1/tasks", other, nil).JSON(t, &otherList)
		if len(otherList.Tasks) != 0 {
			t.Fatalf("another user lists %d tasks", len(otherList.Tasks))
		}

		if res := s.Do("DELETE", "/api/v1/tasks/"+tk.ID, tok, nil); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if res := s.Do("GET", "/api/v1/tasks/"+tk.ID, tok, nil); res.Status != http.StatusNotFound {
			t.Fatalf("deleted task: %d", res.Status)
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPreview answers the next five fire times in UTC, and refuses a bad schedule.
func TestPreview(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, s)
		res := s.Do("POST", "/api/v1/tasks/preview", tok, map[string]any{
			"schedule": map[string]any{"kind": "weekdays", "time": "08:00"}, "timezone": "America/New_York"})
		var out struct{ Next []time.Time }
		res.JSON(t, &out)
		if res.Status != http.StatusOK || len(out.Next) != 5 || !strings.Contains(string(res.Body), "Z\"") {
			t.Fatalf("preview: %d %s", res.Status, res.Body)
		}
		for _, n := range out.Next {
			l := n.In(mustZone(t, "America/New_York"))
			if l.Hour() != 8 || l.Weekday() == time.Saturday || l.Weekday() == time.Sunday {
				t.Fatalf("preview time %v", l)
			}
		}
		res = s.Do("POST", "/api/v1/tasks/preview", tok, map[string]any{
			"schedule": map[string]any{"kind": "cron", "cron": "61 * * * *"}, "timezone": "UTC"})
		if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `"field":"schedule.cron"`) {
			t.Fatalf("bad cron preview: %d %s", res.Status, res.Body)
		}
	})
}

// TestBadInputStoresNothing refuses each bad field with 400 and the field's name, and
// stores no task (nor conversation).
func TestBadInputStoresNothing(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, tok := user(t, s)
		past := time.Now().Add(-48 * time.Hour).UTC().Format("2006-01-02T15:04")
		cases := []struct {
			name, field string
			change      func(map[string]any)
		}{
			{"unknown zone", "timezone", func(b map[string]any) { b["timezone"] = "Mars/Olympus" }},
			{"malformed cron", "schedule.cron", func(b map[string]any) { b["schedule"] = map[string]any{"kind": "cron", "cron": "every day"} }},
			{"at in the past", "schedule.at", func(b map[string]any) { b["schedule"] = map[string]any{"kind": "once", "at": past} }},
			{"empty instruction", "instruction", func(b map[string]any) { b["instruction"] = "   " }},
			{"long title", "title", func(b map[string]any) { b["title"] = strings.Repeat("x", 5000) }},
			{"long instruction", "instruction", func(b map[string]any) { b["instruction"] = strings.Repeat("x", 4001) }},
			{"unknown channel", "channels", func(b map[string]any) { b["channels"] = []string{"pigeon"} }},
			{"duplicate channels", "channels", func(b map[string]any) { b["channels"] = []string{"email", "email"} }},
			{"no channel", "channels", func(b map[string]any) { b["channels"] = []string{} }},
			{"telegram not linked", "channels", func(b map[string]any) { b["channels"] = []string{"in_app", "telegram"} }},
			{"unknown field", "colour", func(b map[string]any) { b["colour"] = "red" }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b := daily("08:00")
				c.change(b)
				res := s.Do("POST", "/api/v1/tasks", tok, b)
				if res.Status != http.StatusBadRequest || res.ErrorCode() != "invalid_request" ||
					!strings.Contains(string(res.Body), `"field":"`+c.field+`"`) {
					t.Fatalf("%d %s", res.Status, res.Body)
				}
				if c.name == "telegram not linked" && !strings.Contains(string(res.Body), "Telegram is not linked") {
					t.Fatalf("telegram message: %s", res.Body)
				}
			})
		}
		if n := count(t, s, `SELECT COUNT(*) FROM tasks WHERE user_id = $1`, uid); n != 0 {
			t.Fatalf("%d tasks stored from bad input", n)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM conversations WHERE user_id = $1`, uid); n != 0 {
			t.Fatalf("%d conversations made for bad input", n)
		}
		// A PATCH with a bad field changes nothing either.
		tk := createTask(t, s, tok, daily("08:00"))
		res := s.Do("PATCH", "/api/v1/tasks/"+tk.ID, tok, map[string]any{"title": "New", "timezone": "Nowhere/Land"})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("bad patch: %d %s", res.Status, res.Body)
		}
		var got tasks.Task
		s.Do("GET", "/api/v1/tasks/"+tk.ID, tok, nil).JSON(t, &got)
		if got.Title != tk.Title || got.Timezone != "UTC" {
			t.Fatalf("bad patch changed the task: %+v", got)
		}
	})
}

// TestPlanLimits refuses a task beyond the plan's active tasks with 409 task_limit (also
// when enabling a paused one) and a schedule more frequent than the plan allows with 400.
func TestPlanLimits(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{},
			"ALLY_PLANS", `[{"id":"free","name":"Free","limits":{"active_tasks":2,"min_task_interval":"1h"}}]`)
		uid, tok := user(t, s)
		createTask(t, s, tok, daily("08:00"))
		second := createTask(t, s, tok, daily("09:00"))
		res := s.Do("POST", "/api/v1/tasks", tok, daily("10:00"))
		if res.Status != http.StatusConflict || res.ErrorCode() != "task_limit" {
			t.Fatalf("third task: %d %s", res.Status, res.Body)
		}
		// A paused task does not count; enabling one over the limit is refused.
		paused := daily("11:00")
		paused["enabled"] = false
		third := createTask(t, s, tok, paused)
		if res := s.Do("PATCH", "/api/v1/tasks/"+third.ID, tok, map[string]any{"enabled": true}); res.Status != http.StatusConflict || res.ErrorCode() != "task_limit" {
			t.Fatalf("enable over the limit: %d %s", res.Status, res.Body)
		}
		s.Do("PATCH", "/api/v1/tasks/"+second.ID, tok, map[string]any{"enabled": false})
		if res := s.Do("PATCH", "/api/v1/tasks/"+third.ID, tok, map[string]any{"enabled": true}); res.Status != http.StatusOK {
			t.Fatalf("enable within the limit: %d %s", res.Status, res.Body)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM tasks WHERE user_id = $1 AND enabled = 1`, uid); n != 2 {
			t.Fatalf("%d enabled tasks, want 2", n)
		}

		s.Do("PATCH", "/api/v1/tasks/"+third.ID, tok, map[string]any{"enabled": false})
		b := daily("08:00")
		b["schedule"] = map[string]any{"kind": "cron", "cron": "*/30 * * * *"}
		res = s.Do("POST", "/api/v1/tasks", tok, b)
		if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `"field":"schedule"`) ||
			!strings.Contains(string(res.Body), "1h") {
			t.Fatalf("too frequent: %d %s", res.Status, res.Body)
		}
	})
}

// TestEverySchedulePreset creates a task with each recurring kind and edits it to each
// other one: every request answers (POST 201, PATCH 200) with the next run the schedule
// gives, on both databases.
func TestEverySchedulePreset(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, s)
		c := &clock{}
		c.Set(time.Date(2027, 1, 8, 15, 0, 0, 0, time.UTC)) // a Friday
		s.Tasks.SetClock(c.Now)
		berlin := mustZone(t, "Europe/Berlin")
		kinds := []struct {
			name  string
			sched map[string]any
			check func(time.Time) bool
		}{
			{"weekly", map[string]any{"kind": "weekly", "weekday": 3, "time": "07:15"},
				func(n time.Time) bool { return n.Weekday() == time.Wednesday && n.Hour() == 7 && n.Minute() == 15 }},
			{"monthly 31", map[string]any{"kind": "monthly", "day": 31, "time": "08:00"},
				func(n time.Time) bool { return n.Day() == 31 && n.Month() == time.January && n.Hour() == 8 }},
			{"weekdays", map[string]any{"kind": "weekdays", "time": "08:00"},
				func(n time.Time) bool { return n.Weekday() == time.Monday && n.Day() == 11 && n.Hour() == 8 }},
			{"cron", map[string]any{"kind": "cron", "cron": "30 6 1 * *"},
				func(n time.Time) bool {
					return n.Day() == 1 && n.Month() == time.February && n.Hour() == 6 && n.Minute() == 30
				}},
		}
		for i, k := range kinds {
			b := daily("08:00")
			b["timezone"] = "Europe/Berlin"
			b["schedule"] = k.sched
			tk := createTask(t, s, tok, b)
			if tk.NextRunAt == nil || !k.check(tk.NextRunAt.In(berlin)) {
				t.Fatalf("create %s: next run %v", k.name, tk.NextRunAt)
			}
			for j, other := range kinds {
				if j == i {
					continue
				}
				res := s.Do("PATCH", "/api/v1/tasks/"+tk.ID, tok, map[string]any{"schedule": other.sched})
				var got tasks.Task
				res.JSON(t, &got)
				if res.Status != http.StatusOK || got.NextRunAt == nil || !other.check(got.NextRunAt.In(berlin)) {
					t.Fatalf("patch %s to %s: %d %s", k.name, other.name, res.Status, res.Body)
				}
			}
		}
	})
}
