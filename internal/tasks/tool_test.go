package tasks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/tasks"
)

// toolStep is a tool_result event's payload.
type toolStep struct {
	Tool    string          `json:"tool"`
	Result  string          `json:"result"`
	IsError bool            `json:"is_error"`
	Change  bool            `json:"change"`
	Undo    json.RawMessage `json:"undo"`
}

// callTool has the fake model call the tasks tool with input in a turn of the user's
// conversation, and returns the reply's id and the call's tool_result.
func callTool(t *testing.T, s *apptest.Server, fake *llmtest.Server, userID, convID, say, input string) (string, toolStep) {
	t.Helper()
	fake.Script(llmtest.Anthropic,
		llmtest.Reply{Text: "On it.", ToolCalls: []llmtest.ToolCall{{Name: tasks.ToolName, Input: input}}},
		llmtest.Reply{Text: "Done."})
	ctx := context.Background()
	r, err := s.Chat.SendMessageWith(ctx, userID, convID, say, chat.SendOptions{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	var step toolStep
	found := false
	if err := r.Follow(ctx, func(ev chat.ReplyEvent) error {
		if ev.Name == "tool_result" {
			found = true
			return json.Unmarshal(ev.Data, &step)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m, err := r.Wait(ctx)
	if err != nil || m.Status != chat.StatusComplete || !found {
		t.Fatalf("turn: %v %+v (tool_result seen: %v)", err, m, found)
	}
	return r.ID, step
}

func setZone(t *testing.T, s *apptest.Server, token, zone string) {
	t.Helper()
	if res := s.Do("PATCH", "/api/v1/me", token, map[string]any{"timezone": zone}); res.Status != http.StatusOK {
		t.Fatalf("set timezone: %d %s", res.Status, res.Body)
	}
}

func newConv(t *testing.T, s *apptest.Server, userID string) string {
	t.Helper()
	c, err := s.Chat.CreateConversation(context.Background(), userID, "")
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func tasksOf(t *testing.T, s *apptest.Server, token string) []tasks.Task {
	t.Helper()
	var l struct{ Tasks []tasks.Task }
	s.Do("GET", "/api/v1/tasks", token, nil).JSON(t, &l)
	return l.Tasks
}

// undoOf decodes a step's undo action.
type undoOf struct {
	Tool, Action string
	TaskID       string         `json:"task_id"`
	Task         map[string]any `json:"task"`
}

func decodeUndo(t *testing.T, raw json.RawMessage) undoOf {
	t.Helper()
	var u undoOf
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatalf("undo %s: %v", raw, err)
	}
	return u
}

// TestToolCreatesTaskInUserZone: asked "every weekday at 8 send me the weather summary",
// the assistant's tasks tool creates the task in the user's timezone; the step is a change
// with the delete undo; list, update, pause, resume and delete work through the tool, and
// each undo is accepted by the API as the web UI sends it.
func TestToolCreatesTaskInUserZone(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, tok := user(t, s)
		setZone(t, s, tok, "America/New_York")
		c := &clock{}
		c.Set(time.Date(2027, 1, 8, 15, 0, 0, 0, time.UTC)) // a Friday, 10:00 in New York
		s.Tasks.SetClock(c.Now)
		conv := newConv(t, s, uid)

		replyID, step := callTool(t, s, fake, uid, conv, "every weekday at 8 send me the weather summary",
			`{"command":"create","title":"Weather summary","instruction":"Send me a short summary of today's weather.","schedule":{"kind":"cron","cron":"0 8 * * 1-5"}}`)
		if reqs := fake.TurnRequests(llmtest.Anthropic); !strings.Contains(string(reqs[0].Body), `"name":"tasks"`) {
			t.Fatal("a chat turn is not offered the tasks tool")
		}
		ts := tasksOf(t, s, tok)
		if len(ts) != 1 {
			t.Fatalf("%d tasks after create", len(ts))
		}
		tk := ts[0]
		want := time.Date(2027, 1, 11, 13, 0, 0, 0, time.UTC) // Monday 08:00 EST
		if tk.Timezone != "America/New_York" || tk.NextRunAt == nil || !tk.NextRunAt.Equal(want) || !tk.Enabled ||
			tk.Schedule.Kind != "cron" || len(tk.Channels) != 1 || tk.Channels[0] != "in_app" {
			t.Fatalf("created task: %+v (next %v, want %v)", tk, tk.NextRunAt, want)
		}
		wantUndo := `{"tool":"tasks","action":"delete","task_id":"` + tk.ID + `"}`
		if step.Tool != tasks.ToolName || step.IsError || !step.Change || string(step.Undo) != wantUndo ||
			!strings.Contains(step.Result, tk.ID) || !strings.Contains(step.Result, "Monday 11 January 2027 at 08:00 EST") {
			t.Fatalf("tool_result: %+v", step)
		}
		var stored chat.Message
		s.Do("GET", "/api/v1/messages/"+replyID, tok, nil).JSON(t, &stored)
		if len(stored.Steps) != 1 || !stored.Steps[0].Change || string(stored.Steps[0].Undo) != wantUndo {
			t.Fatalf("stored steps: %+v", stored.Steps)
		}

		_, step = callTool(t, s, fake, uid, conv, "what tasks do I have?", `{"command":"list"}`)
		if step.IsError || step.Change || len(step.Undo) != 0 && string(step.Undo) != "null" ||
			!strings.Contains(step.Result, tk.ID) || !strings.Contains(step.Result, "Weather summary") {
			t.Fatalf("list: %+v", step)
		}

		_, step = callTool(t, s, fake, uid, conv, "rename it", `{"command":"update","task_id":"`+tk.ID+`","title":"Morning weather"}`)
		u := decodeUndo(t, step.Undo)
		if step.IsError || !step.Change || u.Tool != "tasks" || u.Action != "restore" || u.TaskID != tk.ID ||
			u.Task["title"] != "Weather summary" || u.Task["timezone"] != "America/New_York" || u.Task["enabled"] != true {
			t.Fatalf("update: %+v", step)
		}
		if got := tasksOf(t, s, tok)[0]; got.Title != "Morning weather" {
			t.Fatalf("title after update: %q", got.Title)
		}
		// The undo as the UI sends it: PATCH with the previous fields.
		if res := s.Do("PATCH", "/api/v1/tasks/"+u.TaskID, tok, u.Task); res.Status != http.StatusOK ||
			tasksOf(t, s, tok)[0].Title != "Weather summary" {
			t.Fatalf("undo of update: %d %s", res.Status, res.Body)
		}

		_, step = callTool(t, s, fake, uid, conv, "pause it", `{"command":"pause","task_id":"`+tk.ID+`"}`)
		u = decodeUndo(t, step.Undo)
		if got := tasksOf(t, s, tok)[0]; step.IsError || !step.Change || got.Enabled || got.NextRunAt != nil ||
			u.Action != "restore" || u.Task["enabled"] != true {
			t.Fatalf("pause: %+v, task %+v", step, got)
		}
		_, step = callTool(t, s, fake, uid, conv, "resume it", `{"command":"resume","task_id":"`+tk.ID+`"}`)
		if got := tasksOf(t, s, tok)[0]; step.IsError || !step.Change || !got.Enabled || got.NextRunAt == nil || !got.NextRunAt.Equal(want) {
			t.Fatalf("resume: %+v, task %+v", step, got)
		}

		_, step = callTool(t, s, fake, uid, conv, "delete it", `{"command":"delete","task_id":"`+tk.ID+`"}`)
		u = decodeUndo(t, step.Undo)
		if step.IsError || !step.Change || u.Action != "recreate" || u.TaskID != "" || u.Task["title"] != "Weather summary" ||
			len(tasksOf(t, s, tok)) != 0 {
			t.Fatalf("delete: %+v", step)
		}
		// The undo as the UI sends it: POST with the previous fields.
		res := s.Do("POST", "/api/v1/tasks", tok, u.Task)
		var again tasks.Task
		res.JSON(t, &again)
		if res.Status != http.StatusCreated || again.Timezone != "America/New_York" || again.NextRunAt == nil || !again.NextRunAt.Equal(want) {
			t.Fatalf("undo of delete: %d %s", res.Status, res.Body)
		}
	})
}

// TestToolErrorsAreResults: a create over the plan's active tasks, a bad schedule and
// another user's task come back to the model as error results; nothing is stored, and a
// refused create leaves no conversation behind.
func TestToolErrorsAreResults(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{}, "ALLY_PLANS", `[{"id":"free","name":"Free","limits":{"active_tasks":1}}]`)
		uid, tok := user(t, s)
		_, otherTok := user(t, s)
		theirs := createTask(t, s, otherTok, daily("08:00"))
		createTask(t, s, tok, daily("08:00"))
		conv := newConv(t, s, uid)
		convs := count(t, s, `SELECT COUNT(*) FROM conversations WHERE user_id = $1`, uid)

		create := `{"command":"create","title":"Weather","instruction":"Weather summary.","schedule":{"kind":"weekdays","time":"08:00"}}`
		_, step := callTool(t, s, fake, uid, conv, "every weekday at 8 send me the weather summary", create)
		if !step.IsError || step.Change || !strings.Contains(step.Result, "Error:") || !strings.Contains(strings.ToLower(step.Result), "task") {
			t.Fatalf("create over the limit: %+v", step)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM tasks WHERE user_id = $1`, uid); n != 1 {
			t.Fatalf("%d tasks after a refused create", n)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM conversations WHERE user_id = $1`, uid); n != convs {
			t.Fatalf("a refused create left %d conversations behind", n-convs)
		}

		_, step = callTool(t, s, fake, uid, conv, "hourly",
			`{"command":"update","task_id":"`+createTask(t, s, tok, map[string]any{"title": "P", "instruction": "I",
				"schedule": map[string]any{"kind": "daily", "time": "09:00"}, "enabled": false}).ID+`","schedule":{"kind":"cron","cron":"61 * * * *"}}`)
		if !step.IsError || !strings.Contains(step.Result, "schedule.cron") {
			t.Fatalf("bad schedule: %+v", step)
		}

		for _, cmd := range []string{"update", "pause", "resume", "delete"} {
			in := `{"command":"` + cmd + `","task_id":"` + theirs.ID + `"}`
			if cmd == "update" {
				in = `{"command":"update","task_id":"` + theirs.ID + `","title":"Mine now"}`
			}
			_, step = callTool(t, s, fake, uid, conv, cmd, in)
			if !step.IsError || step.Change || !strings.Contains(step.Result, "no such task") {
				t.Fatalf("%s of another user's task: %+v", cmd, step)
			}
		}
		var got tasks.Task
		s.Do("GET", "/api/v1/tasks/"+theirs.ID, otherTok, nil).JSON(t, &got)
		if got.Title != theirs.Title || !got.Enabled {
			t.Fatalf("another user's task changed: %+v", got)
		}
	})
}

// TestRunContextAndTools: a run sends the model only the last few turns of the task's
// conversation (the last two runs and its own instruction) and is not offered the tasks
// tool.
func TestRunContextAndTools(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, s)
		tk := createTask(t, s, tok, daily("08:00"))
		for i := 1; i <= 4; i++ {
			if res := s.Do("POST", "/api/v1/tasks/"+tk.ID+"/run", tok, nil); res.Status != http.StatusAccepted {
				t.Fatalf("run now: %d %s", res.Status, res.Body)
			}
			waitRuns(t, s, tok, tk.ID, func(rs []tasks.Run) bool { return len(rs) == i && settled(rs) })
		}
		reqs := fake.TurnRequests(llmtest.Anthropic)
		if len(reqs) != 4 {
			t.Fatalf("%d model calls for 4 runs", len(reqs))
		}
		var last struct {
			MaxTokens int `json:"max_tokens"`
			Messages  []struct{ Role string }
			Tools     []struct{ Name string }
		}
		if err := reqs[3].JSON(&last); err != nil {
			t.Fatal(err)
		}
		if len(last.Messages) != 5 {
			t.Fatalf("the fourth run sent %d messages, want 5 (two runs and its instruction)", len(last.Messages))
		}
		for _, tl := range last.Tools {
			if tl.Name == tasks.ToolName {
				t.Fatal("a run is offered the tasks tool")
			}
		}
		if last.MaxTokens != llm.DefaultMaxTokens {
			t.Fatalf("max_tokens %d", last.MaxTokens)
		}
	})
}

// TestRunBudget: a run that spends its token budget fails at once with budget_exceeded.
func TestRunBudget(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, s)
		tk := createTask(t, s, tok, daily("08:00"))
		spend := llmtest.Reply{Text: "Checking.", ToolCalls: []llmtest.ToolCall{{Name: "current_time", Input: "{}"}},
			Usage: llm.Usage{InputTokens: tasks.RunTokenBudget - 1000, OutputTokens: 1000}}
		fake.Script(llmtest.Anthropic, spend, spend, spend)
		s.Do("POST", "/api/v1/tasks/"+tk.ID+"/run", tok, nil)
		runs := waitRuns(t, s, tok, tk.ID, settled)
		r := runs[0]
		if r.Status != tasks.RunFailed || r.Attempts != 1 || r.Error == nil || !strings.Contains(*r.Error, "budget_exceeded") {
			t.Fatalf("run over budget: %+v (error %v)", r, r.Error)
		}
		if n := len(fake.TurnRequests(llmtest.Anthropic)); n != 1 {
			t.Fatalf("%d model calls; the budget was spent after the first", n)
		}
	})
}

// TestRunBudgetCappedByPlan: a plan with fewer daily tokens than a run's budget caps the
// run's budget to them.
func TestRunBudgetCappedByPlan(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake2 := llmtest.Start(t)
		s2 := start(t, tg, fake2, apptest.Options{}, "ALLY_PLANS", `[{"id":"free","name":"Free","limits":{"tokens_per_day":2000}}]`)
		_, tok2 := user(t, s2)
		tk2 := createTask(t, s2, tok2, daily("08:00"))
		s2.Do("POST", "/api/v1/tasks/"+tk2.ID+"/run", tok2, nil)
		waitRuns(t, s2, tok2, tk2.ID, settled)
		var req struct {
			MaxTokens int `json:"max_tokens"`
		}
		if reqs := fake2.TurnRequests(llmtest.Anthropic); len(reqs) == 0 || reqs[0].JSON(&req) != nil || req.MaxTokens != 2000 {
			t.Fatalf("a run under a 2000-token day asked for max_tokens %d", req.MaxTokens)
		}
	})
}
