package tasks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// DisableAfter is how many failed runs in a row pause a task.
const DisableAfter = 5

// RunTimeout bounds one attempt of a run (an agent turn with tools).
const RunTimeout = 10 * time.Minute

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	s *Service
}

// Timeout bounds one attempt.
func (w *runWorker) Timeout(*river.Job[RunArgs]) time.Duration { return RunTimeout }

// taskOf reads the task of a run without an owner (the job carries none).
func (s *Service) taskOf(ctx context.Context, taskID string) (*Task, error) {
	t, err := scanTask(s.d.DB.R.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, taskID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("task not found")
	}
	return t, err
}

// Work executes a run: it checks the task and the account again, runs an agent turn in
// the task's conversation and queues the deliveries. A failed attempt is retried; the
// last one records the run failed.
func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	s := w.s
	t, err := s.taskOf(ctx, job.Args.TaskID)
	if errs.Is(err, errs.NotFound) {
		return nil // deleted meanwhile, with its runs
	}
	if err != nil {
		return err
	}
	r, err := s.runAt(ctx, s.d.DB.R, t.ID, job.Args.ScheduledFor)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Status != RunQueued && r.Status != RunRunning {
		return nil // finished by an earlier attempt
	}
	if !t.Enabled && !r.Manual {
		return s.finish(ctx, t, r, RunMissed, "", 0, "the task was paused before it ran", false)
	}
	acct, err := s.d.Accounts.Account(ctx, t.userID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if acct.Standing != "active" {
		return s.finish(ctx, t, r, RunMissed, "", 0, "the account is "+acct.Standing+", so the task did not run", false)
	}
	now := s.now()
	if _, err := s.d.DB.Exec(ctx, `UPDATE task_runs SET status = $1, attempts = $2, started_at = $3, error = ''
		WHERE id = $4`, RunRunning, job.Attempt, db.Millis(now), r.ID); err != nil {
		return fmt.Errorf("tasks: start run: %w", err)
	}
	res, err := s.turn(ctx, t)
	if err != nil {
		msg := runError(err)
		final := job.Attempt >= job.MaxAttempts || errs.Is(err, errs.QuotaExceeded) || errors.Is(err, ErrBudgetExceeded)
		if !final {
			if _, uerr := s.d.DB.Exec(ctx, `UPDATE task_runs SET status = $1, error = $2 WHERE id = $3`, RunQueued, msg, r.ID); uerr != nil {
				return errors.Join(err, uerr)
			}
			return err
		}
		return s.finish(ctx, t, r, RunFailed, "", 0, msg, true)
	}
	r.MessageID = &res.MessageID
	return s.finishSucceeded(ctx, t, r, res)
}

// runError is the reason a run failed, as the user sees it.
func runError(err error) string {
	if errors.Is(err, ErrBudgetExceeded) {
		return "budget_exceeded: the run used the most tokens a run may take"
	}
	if e, ok := errs.As(err); ok && e.Code != errs.Internal {
		return e.Message
	}
	return "the assistant could not complete the task"
}

// turn runs the agent turn, in a new conversation when the task's one was deleted.
func (s *Service) turn(ctx context.Context, t *Task) (TurnResult, error) {
	lim, err := s.d.Plans.TaskLimits(ctx, t.userID)
	if err != nil {
		return TurnResult{}, err
	}
	budget := runBudget(lim)
	res, err := s.d.Assistant.Turn(ctx, t.userID, t.ConversationID, t.Instruction, budget)
	if !errs.Is(err, errs.NotFound) {
		return res, err
	}
	conv, err := s.d.Assistant.CreateConversation(ctx, t.userID, t.Title)
	if err != nil {
		return res, err
	}
	if _, err := s.d.DB.Exec(ctx, `UPDATE tasks SET conversation_id = $1 WHERE id = $2`, conv, t.ID); err != nil {
		return res, err
	}
	t.ConversationID = conv
	return s.d.Assistant.Turn(ctx, t.userID, conv, t.Instruction, budget)
}

// finishSucceeded stores the result, resets the failures and queues one delivery per
// channel, in one transaction.
func (s *Service) finishSucceeded(ctx context.Context, t *Task, r *Run, res TurnResult) error {
	now := s.now()
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE task_runs SET status = $1, finished_at = $2, message_id = $3, tokens = $4, error = ''
			WHERE id = $5`, RunSucceeded, db.Millis(now), res.MessageID, res.Tokens, r.ID); err != nil {
			return fmt.Errorf("tasks: finish run: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET failures = 0 WHERE id = $1`, t.ID); err != nil {
			return err
		}
		for _, ch := range t.Channels {
			id := newID()
			if _, err := tx.ExecContext(ctx, `INSERT INTO task_deliveries (id, run_id, user_id, channel, status, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, channel) DO NOTHING`,
				id, r.ID, t.userID, ch, DeliveryPending, db.Millis(now)); err != nil {
				return fmt.Errorf("tasks: record delivery: %w", err)
			}
			if _, err := s.d.Queue().Insert(ctx, tx, DeliverArgs{DeliveryID: id}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// finish records a run that ended without a result. A failure counts towards pausing the
// task: after DisableAfter in a row it is disabled and the user told by email.
func (s *Service) finish(ctx context.Context, t *Task, r *Run, status, msgID string, tokens int64, reason string, counts bool) error {
	now := s.now()
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE task_runs SET status = $1, finished_at = $2, error = $3 WHERE id = $4`,
			status, db.Millis(now), reason, r.ID); err != nil {
			return fmt.Errorf("tasks: finish run: %w", err)
		}
		if !counts {
			return nil
		}
		var failures int
		if err := tx.QueryRowContext(ctx, `UPDATE tasks SET failures = failures + 1 WHERE id = $1 RETURNING failures`,
			t.ID).Scan(&failures); err != nil {
			return fmt.Errorf("tasks: count failure: %w", err)
		}
		if failures < DisableAfter {
			return nil
		}
		why := fmt.Sprintf("paused after %d failed runs in a row; the last one: %s", failures, reason)
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET enabled = 0, next_run_at = NULL, disabled_reason = $1 WHERE id = $2 AND enabled = 1`, why, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		s.logger.Info("task paused after failed runs", "task_id", t.ID, "failures", failures)
		return s.mailDisabled(ctx, tx, t, why)
	})
}

// mailDisabled tells the user by email that Ally paused their task.
func (s *Service) mailDisabled(ctx context.Context, tx *sql.Tx, t *Task, why string) error {
	acct, err := s.d.Accounts.Account(ctx, t.userID)
	if err != nil || acct.Email == "" {
		return err
	}
	m, err := renderMail("task_disabled", map[string]any{"Name": acct.Name, "Title": t.Title,
		"Reason": strings.TrimSpace(why), "Link": s.d.PublicURL + "/settings/tasks"})
	if err != nil {
		return err
	}
	m.UserID, m.To = t.userID, acct.Email
	return s.d.Mail.Enqueue(ctx, tx, m)
}
