package tasks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/tasks/schedule"
)

// RunArgs is the job that executes one run: a task's occurrence due at ScheduledFor
// (Unix milliseconds). It is unique by both, so an occurrence is enqueued once.
type RunArgs struct {
	TaskID       string `json:"task_id" river:"unique"`
	ScheduledFor int64  `json:"scheduled_for" river:"unique"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "task_run" }

// RunAttempts is how often a failing run is tried (with River's backoff).
const RunAttempts = 3

// InsertOpts tries a run three times and never enqueues an occurrence twice.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: RunAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// sweepBatch is how many due tasks one sweep transaction takes.
const sweepBatch = 100

// Sweep enqueues the runs that are due (a late one within the grace runs once; one later
// than the grace is recorded as one missed run) and advances each task's next_run_at,
// run rows, jobs and task in one transaction per batch. It returns the runs it recorded.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.sweepBatch(ctx)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}

type dueTask struct {
	id, userID, sched, timezone string
	due                         int64
}

func (s *Service) sweepBatch(ctx context.Context) (int, error) {
	now := s.now()
	lookahead := now.Add(SweepInterval)
	n := 0
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		n = 0
		q := `SELECT id, user_id, schedule, timezone, next_run_at FROM tasks
			WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2`
		if s.d.DB.Dialect == db.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := tx.QueryContext(ctx, q, db.Millis(lookahead), sweepBatch)
		if err != nil {
			return fmt.Errorf("tasks: find due: %w", err)
		}
		var due []dueTask
		for rows.Next() {
			var d dueTask
			if err := rows.Scan(&d.id, &d.userID, &d.sched, &d.timezone, &d.due); err != nil {
				rows.Close()
				return fmt.Errorf("tasks: find due: %w", err)
			}
			due = append(due, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range due {
			if err := s.advance(ctx, tx, d, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// advance records the due occurrence of one task and moves its next_run_at on.
func (s *Service) advance(ctx context.Context, tx *sql.Tx, d dueTask, now time.Time) error {
	var sc schedule.Schedule
	if err := json.Unmarshal([]byte(d.sched), &sc); err != nil {
		return fmt.Errorf("tasks: stored schedule of %s: %w", d.id, err)
	}
	loc, err := schedule.LoadZone(d.timezone)
	if err != nil {
		loc = time.UTC
	}
	dueAt := db.Time(d.due)
	late := now.Sub(dueAt)
	from := dueAt
	if now.After(from) {
		// Occurrences between the due one and now are not run one by one: the schedule
		// continues from now.
		from = now
	}
	if late > s.d.Grace {
		msg := fmt.Sprintf("missed: Ally was not running at %s, and it was more than %s late", dueAt.In(loc).Format("2 Jan 2006 15:04 MST"), human(s.d.Grace))
		if _, err := s.insertRun(ctx, tx, d.id, d.userID, d.due, false, RunMissed, msg, now); err != nil {
			return err
		}
	} else {
		inserted, err := s.insertRun(ctx, tx, d.id, d.userID, d.due, false, RunQueued, "", now)
		if err != nil {
			return err
		}
		if inserted {
			if err := s.enqueueRun(ctx, tx, d.id, d.due, dueAt.Sub(now)); err != nil {
				return err
			}
		}
	}
	next := sql.NullInt64{}
	enabled := 1
	if at, ok := sc.Next(from, loc); ok {
		next = sql.NullInt64{Int64: db.Millis(at), Valid: true}
	} else {
		enabled = 0 // a one-off that ran is done
	}
	_, err = tx.ExecContext(ctx, `UPDATE tasks SET next_run_at = $1, enabled = $2 WHERE id = $3`, next, enabled, d.id)
	return err
}

// insertRun records a run unless the occurrence has one already (reported false).
func (s *Service) insertRun(ctx context.Context, tx *sql.Tx, taskID, userID string, scheduledFor int64, manual bool, status, msg string, now time.Time) (bool, error) {
	var finished sql.NullInt64
	if status == RunMissed {
		finished = sql.NullInt64{Int64: db.Millis(now), Valid: true}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO task_runs (id, task_id, user_id, scheduled_for, manual, status, error, finished_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (task_id, scheduled_for) DO NOTHING`,
		newID(), taskID, userID, scheduledFor, boolInt(manual), status, msg, finished, db.Millis(now))
	if err != nil {
		return false, fmt.Errorf("tasks: record run: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// enqueueRun inserts the run's job inside tx; a run due in the future (by the sweep's
// look-ahead) starts when it is due.
func (s *Service) enqueueRun(ctx context.Context, tx *sql.Tx, taskID string, scheduledFor int64, in time.Duration) error {
	var opts *river.InsertOpts
	if in > 0 {
		opts = &river.InsertOpts{ScheduledAt: time.Now().Add(in)}
	}
	_, err := s.d.Queue().Insert(ctx, tx, RunArgs{TaskID: taskID, ScheduledFor: scheduledFor}, opts)
	return err
}

// RunNow queues a run of the task at once, whether or not it is paused.
func (s *Service) RunNow(ctx context.Context, userID, id string) (*Run, error) {
	if _, err := s.task(ctx, s.d.DB.R, userID, id); err != nil {
		return nil, err
	}
	if s.d.AllowRun != nil {
		if err := s.d.AllowRun(ctx, userID); err != nil {
			return nil, err
		}
	}
	now := s.now()
	at := db.Millis(now)
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.task(ctx, tx, userID, id); err != nil {
			return err
		}
		inserted, err := s.insertRun(ctx, tx, id, userID, at, true, RunQueued, "", now)
		if err != nil {
			return err
		}
		if !inserted {
			return errs.E(errs.Conflict, "a run of this task was just started")
		}
		return s.enqueueRun(ctx, tx, id, at, 0)
	})
	if err != nil {
		return nil, err
	}
	r, err := s.runAt(ctx, s.d.DB.R, id, at)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// runAt reads the run of a task's occurrence (the worker's view: no owner given).
func (s *Service) runAt(ctx context.Context, q querier, taskID string, scheduledFor int64) (*Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM task_runs WHERE task_id = $1 AND scheduled_for = $2`,
		taskID, scheduledFor))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("run not found")
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: read run: %w", err)
	}
	return r, nil
}
