package tasks

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/tasks/schedule"
)

// prepared is a task's validated definition.
type prepared struct {
	title, instruction, timezone string
	sched                        schedule.Schedule
	loc                          *time.Location
	channels                     []string
	enabled                      bool
}

// prepare validates a complete definition: base is the task being edited (nil on create),
// in the fields given.
func (s *Service) prepare(ctx context.Context, userID string, base *Task, in input, now time.Time) (prepared, Limits, error) {
	var p prepared
	if base != nil {
		p = prepared{title: base.Title, instruction: base.Instruction, timezone: base.Timezone, sched: base.Schedule,
			channels: base.Channels, enabled: base.Enabled}
	} else {
		p.enabled, p.timezone = true, "UTC"
		if in.Title == nil {
			return p, Limits{}, errs.InvalidField("title", "title is required")
		}
		if in.Instruction == nil {
			return p, Limits{}, errs.InvalidField("instruction", "instruction is required")
		}
		if in.Schedule == nil {
			return p, Limits{}, errs.InvalidField("schedule", "schedule is required")
		}
		if in.Channels == nil {
			in.Channels = &[]string{"in_app"}
		}
	}
	var err error
	if in.Title != nil {
		if p.title, err = checkTitle(*in.Title); err != nil {
			return p, Limits{}, err
		}
	}
	if in.Instruction != nil {
		if p.instruction, err = checkInstruction(*in.Instruction); err != nil {
			return p, Limits{}, err
		}
	}
	if in.Timezone != nil && *in.Timezone != "" {
		p.timezone = *in.Timezone
	}
	if p.loc, err = schedule.LoadZone(p.timezone); err != nil {
		return p, Limits{}, err
	}
	if in.Schedule != nil {
		p.sched = *in.Schedule
	}
	if in.Schedule != nil || in.Timezone != nil || base == nil {
		if err := p.sched.Validate(now, p.loc); err != nil {
			return p, Limits{}, err
		}
	}
	if in.Channels != nil {
		if p.channels, err = s.checkChannels(ctx, userID, *in.Channels); err != nil {
			return p, Limits{}, err
		}
	}
	if in.Enabled != nil {
		p.enabled = *in.Enabled
	}
	lim, err := s.d.Plans.TaskLimits(ctx, userID)
	if err != nil {
		return p, lim, err
	}
	if err := checkInterval(p.sched, now, p.loc, lim.MinInterval); err != nil {
		return p, lim, err
	}
	return p, lim, nil
}

// next is the next due time of an enabled task, or NULL.
func (p prepared) next(now time.Time) sql.NullInt64 {
	if !p.enabled {
		return sql.NullInt64{}
	}
	at, ok := p.sched.Next(now, p.loc)
	if !ok {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: db.Millis(at), Valid: true}
}

// Create stores a new task for userID with its own conversation.
func (s *Service) Create(ctx context.Context, userID string, in input) (*Task, error) {
	now := s.now()
	p, lim, err := s.prepare(ctx, userID, nil, in, now)
	if err != nil {
		return nil, err
	}
	if s.d.AllowCreate != nil {
		if err := s.d.AllowCreate(ctx, userID); err != nil {
			return nil, err
		}
	}
	convID, err := s.d.Assistant.CreateConversation(ctx, userID, p.title)
	if err != nil {
		return nil, err
	}
	sched, _ := json.Marshal(p.sched)
	id := newID()
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if p.enabled {
			if err := s.lockUser(ctx, tx, userID); err != nil {
				return err
			}
			if err := s.checkActive(ctx, tx, userID, id, lim); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tasks (id, user_id, title, instruction, schedule, timezone, channels,
			enabled, conversation_id, next_run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
			id, userID, p.title, p.instruction, string(sched), p.timezone, strings.Join(p.channels, ","),
			boolInt(p.enabled), convID, p.next(now), db.Millis(now))
		return err
	})
	if err != nil {
		// The conversation was made for this task only: no task, no conversation.
		if derr := s.d.Assistant.DeleteConversation(context.WithoutCancel(ctx), userID, convID); derr != nil {
			s.logger.Warn("could not delete the conversation of a task not created", "error", derr)
		}
		return nil, err
	}
	return s.Get(ctx, userID, id)
}

// Update changes the fields given; enabling a task checks the plan's active tasks in the
// same transaction, and a change of schedule, timezone or enabled recomputes next_run_at.
func (s *Service) Update(ctx context.Context, userID, id string, in input) (*Task, error) {
	now := s.now()
	base, err := s.task(ctx, s.d.DB.R, userID, id)
	if err != nil {
		return nil, err
	}
	p, lim, err := s.prepare(ctx, userID, base, in, now)
	if err != nil {
		return nil, err
	}
	sched, _ := json.Marshal(p.sched)
	reschedule := in.Schedule != nil || in.Timezone != nil || in.Enabled != nil
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.task(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		if p.enabled && !cur.Enabled {
			if err := s.lockUser(ctx, tx, userID); err != nil {
				return err
			}
			if err := s.checkActive(ctx, tx, userID, id, lim); err != nil {
				return err
			}
		}
		next := sql.NullInt64{}
		if cur.NextRunAt != nil {
			next = sql.NullInt64{Int64: db.Millis(*cur.NextRunAt), Valid: true}
		}
		if reschedule {
			next = p.next(now)
		}
		// Enabling again clears why Ally paused it, and the failures that led to it.
		q := `UPDATE tasks SET title = $1, instruction = $2, schedule = $3, timezone = $4, channels = $5, enabled = $6,
			next_run_at = $7, paused_by_deletion = 0, updated_at = $8`
		if p.enabled && !cur.Enabled {
			q += `, failures = 0, disabled_reason = ''`
		}
		_, err = tx.ExecContext(ctx, q+` WHERE user_id = $9 AND id = $10`, p.title, p.instruction, string(sched), p.timezone,
			strings.Join(p.channels, ","), boolInt(p.enabled), next, db.Millis(now), userID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, userID, id)
}

// Delete removes a task with its runs; its conversation stays with the user's chats.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	n, err := s.d.DB.Exec(ctx, `DELETE FROM tasks WHERE user_id = $1 AND id = $2`, userID, id)
	if err != nil {
		return fmt.Errorf("tasks: delete: %w", err)
	}
	if n == 0 {
		return errs.NotFoundf("task not found")
	}
	return nil
}

// Get returns one task with its last run and estimate.
func (s *Service) Get(ctx context.Context, userID, id string) (*Task, error) {
	t, err := s.task(ctx, s.d.DB.R, userID, id)
	if err != nil {
		return nil, err
	}
	return t, s.decorate(ctx, t, s.now())
}

// decorate adds the last run and the estimate.
func (s *Service) decorate(ctx context.Context, t *Task, now time.Time) error {
	runs, err := s.runs(ctx, t.userID, t.ID, 1)
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		t.LastRun = runs[0]
	}
	t.Estimate, err = s.estimate(ctx, t, now)
	return err
}

// TaskList is GET /api/v1/tasks: the tasks and the tokens their enabled ones are expected
// to use in the next 30 days.
type TaskList struct {
	Tasks                []*Task `json:"tasks"`
	ProjectedTokensMonth int64   `json:"projected_tokens_month"`
}

// List returns userID's tasks.
func (s *Service) List(ctx context.Context, userID string) (*TaskList, error) {
	ts, err := s.listTasks(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &TaskList{Tasks: ts}
	for _, t := range ts {
		if err := s.decorate(ctx, t, now); err != nil {
			return nil, err
		}
		if t.Enabled {
			out.ProjectedTokensMonth += t.Estimate.TokensPerRun * t.Estimate.RunsPerMonth
		}
	}
	return out, nil
}

// Runs returns a task's runs, newest first.
func (s *Service) Runs(ctx context.Context, userID, id string, limit int) ([]*Run, error) {
	if _, err := s.task(ctx, s.d.DB.R, userID, id); err != nil {
		return nil, err
	}
	return s.runs(ctx, userID, id, limit)
}

// Preview returns the next five fire times of a schedule.
func (s *Service) Preview(sc schedule.Schedule, timezone string) ([]time.Time, error) {
	if timezone == "" {
		timezone = "UTC"
	}
	loc, err := schedule.LoadZone(timezone)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := sc.Validate(now, loc); err != nil {
		return nil, err
	}
	out := sc.Upcoming(now, loc, 5)
	if out == nil {
		out = []time.Time{}
	}
	return out, nil
}
