package tasks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/tasks/schedule"
)

// newID returns an unguessable identifier.
func newID() string { return rand.Text() }

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const taskColumns = `id, user_id, title, instruction, schedule, timezone, channels, enabled, conversation_id,
	next_run_at, failures, disabled_reason, created_at, updated_at`

func scanTask(row interface{ Scan(...any) error }) (*Task, error) {
	var t Task
	var sched, channels string
	var enabled int
	var next sql.NullInt64
	var created, updated int64
	err := row.Scan(&t.ID, &t.userID, &t.Title, &t.Instruction, &sched, &t.Timezone, &channels, &enabled,
		&t.ConversationID, &next, &t.failures, &t.DisabledReason, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(sched), &t.Schedule); err != nil {
		return nil, fmt.Errorf("tasks: stored schedule of %s: %w", t.ID, err)
	}
	t.Channels = splitChannels(channels)
	t.Enabled = enabled != 0
	if next.Valid {
		n := db.Time(next.Int64)
		t.NextRunAt = &n
	}
	t.CreatedAt, t.UpdatedAt = db.Time(created), db.Time(updated)
	return &t, nil
}

func splitChannels(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// task reads one of userID's tasks.
func (s *Service) task(ctx context.Context, q querier, userID, id string) (*Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE user_id = $1 AND id = $2`, userID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("task not found")
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: read task: %w", err)
	}
	return t, nil
}

// listTasks reads userID's tasks, oldest first.
func (s *Service) listTasks(ctx context.Context, userID string) ([]*Task, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("tasks: list: %w", err)
	}
	defer rows.Close()
	out := []*Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("tasks: list: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// lockUser serialises, on PostgreSQL, the transactions that count a user's active tasks
// (SQLite has one writer).
func (s *Service) lockUser(ctx context.Context, tx *sql.Tx, userID string) error {
	if s.d.DB.Dialect != db.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('tasks:' || $1, 0))`, userID)
	return err
}

// checkActive refuses one more enabled task beyond the plan's active tasks; it runs inside
// the transaction that enables the task, after lockUser.
func (s *Service) checkActive(ctx context.Context, tx *sql.Tx, userID, exceptID string, lim Limits) error {
	if lim.ActiveTasks < 0 {
		return nil
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE user_id = $1 AND enabled = 1 AND id <> $2`,
		userID, exceptID).Scan(&n); err != nil {
		return fmt.Errorf("tasks: count active: %w", err)
	}
	if n >= lim.ActiveTasks {
		e := errs.E(errs.TaskLimit, "your plan allows %d active tasks; pause or delete one first", lim.ActiveTasks)
		e.Details = map[string]any{"active_tasks": lim.ActiveTasks}
		return e
	}
	return nil
}

const runColumns = `id, task_id, scheduled_for, manual, status, attempts, started_at, finished_at, message_id, tokens, error`

func scanRun(row interface{ Scan(...any) error }) (*Run, error) {
	var r Run
	var sched int64
	var manual int
	var started, finished sql.NullInt64
	var msg, e string
	err := row.Scan(&r.ID, &r.TaskID, &sched, &manual, &r.Status, &r.Attempts, &started, &finished, &msg, &r.tokens, &e)
	if err != nil {
		return nil, err
	}
	r.ScheduledFor = db.Time(sched)
	r.Manual = manual != 0
	r.StartedAt, r.FinishedAt = optTime(started), optTime(finished)
	r.MessageID, r.Error = optString(msg), optString(e)
	r.Deliveries = []Delivery{}
	return &r, nil
}

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := db.Time(v.Int64)
	return &t
}

func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// runs reads a task's runs, newest first, with their deliveries.
func (s *Service) runs(ctx context.Context, userID, taskID string, limit int) ([]*Run, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT `+runColumns+` FROM task_runs WHERE user_id = $1 AND task_id = $2
		ORDER BY scheduled_for DESC, id DESC LIMIT $3`, userID, taskID, limit)
	if err != nil {
		return nil, fmt.Errorf("tasks: list runs: %w", err)
	}
	defer rows.Close()
	out := []*Run{}
	byID := map[string]*Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("tasks: list runs: %w", err)
		}
		out = append(out, r)
		byID[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	drows, err := s.d.DB.R.QueryContext(ctx, `SELECT d.run_id, d.channel, d.status, d.provider_id, d.error, d.sent_at
		FROM task_deliveries d JOIN task_runs r ON r.id = d.run_id
		WHERE d.user_id = $1 AND r.task_id = $2 ORDER BY d.channel`, userID, taskID)
	if err != nil {
		return nil, fmt.Errorf("tasks: list deliveries: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var runID, pid, e string
		var d Delivery
		var sent sql.NullInt64
		if err := drows.Scan(&runID, &d.Channel, &d.Status, &pid, &e, &sent); err != nil {
			return nil, fmt.Errorf("tasks: list deliveries: %w", err)
		}
		d.ProviderID, d.Error, d.SentAt = optString(pid), optString(e), optTime(sent)
		if r, ok := byID[runID]; ok {
			r.Deliveries = append(r.Deliveries, d)
		}
	}
	return out, drows.Err()
}

// run reads one run of userID's.
func (s *Service) run(ctx context.Context, userID, runID string) (*Run, error) {
	r, err := scanRun(s.d.DB.R.QueryRowContext(ctx, `SELECT `+runColumns+` FROM task_runs WHERE user_id = $1 AND id = $2`, userID, runID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("run not found")
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: read run: %w", err)
	}
	return r, nil
}

// DefaultTokensPerRun is the estimate for a task that has not run yet.
const DefaultTokensPerRun = 3000

// maxRunsEstimate caps the runs counted for a month's estimate.
const maxRunsEstimate = 5000

// estimate is the expected cost of a task: the average tokens of its last runs (or the
// default) and its fires in the next 30 days.
func (s *Service) estimate(ctx context.Context, t *Task, now time.Time) (Estimate, error) {
	var avg sql.NullFloat64
	err := s.d.DB.R.QueryRowContext(ctx, `SELECT AVG(tokens) FROM (SELECT tokens FROM task_runs
		WHERE user_id = $1 AND task_id = $2 AND status = 'succeeded' AND tokens > 0
		ORDER BY scheduled_for DESC LIMIT 5) last`, t.userID, t.ID).Scan(&avg)
	if err != nil {
		return Estimate{}, fmt.Errorf("tasks: estimate: %w", err)
	}
	e := Estimate{TokensPerRun: DefaultTokensPerRun}
	if avg.Valid {
		e.TokensPerRun = int64(avg.Float64 + 0.5)
	}
	loc, err := schedule.LoadZone(t.Timezone)
	if err != nil {
		return e, nil
	}
	end := now.Add(30 * 24 * time.Hour)
	// In chunks: a weekly schedule must not be followed for a century.
	for after := now; e.RunsPerMonth < maxRunsEstimate; {
		next := t.Schedule.Upcoming(after, loc, 100)
		for _, at := range next {
			if at.After(end) || e.RunsPerMonth >= maxRunsEstimate {
				return e, nil
			}
			e.RunsPerMonth++
			after = at
		}
		if len(next) < 100 {
			break
		}
	}
	return e, nil
}
