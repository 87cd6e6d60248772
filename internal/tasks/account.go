package tasks

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"myally.app/ally/internal/tasks/schedule"
)

// PauseForDeletion pauses the user's enabled tasks inside the account deletion's
// transaction (a privacy OnDelete hook); they are marked so recovery resumes exactly them.
func (s *Service) PauseForDeletion(ctx context.Context, tx *sql.Tx, userID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET enabled = 0, paused_by_deletion = 1, next_run_at = NULL
		WHERE user_id = $1 AND enabled = 1`, userID); err != nil {
		return fmt.Errorf("tasks: pause for deletion: %w", err)
	}
	// Runs queued but not started will not fire.
	if _, err := tx.ExecContext(ctx, `UPDATE task_runs SET status = 'missed', error = 'the account was deleted'
		WHERE user_id = $1 AND status = 'queued'`, userID); err != nil {
		return fmt.Errorf("tasks: pause for deletion: %w", err)
	}
	return nil
}

// ResumeAfterRecovery enables again, inside the recovery's transaction (a privacy
// OnRecover hook), the tasks the deletion paused, from their next occurrence after now.
func (s *Service) ResumeAfterRecovery(ctx context.Context, tx *sql.Tx, userID string) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE user_id = $1 AND paused_by_deletion = 1`, userID)
	if err != nil {
		return fmt.Errorf("tasks: resume: %w", err)
	}
	var ts []*Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("tasks: resume: %w", err)
		}
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.now()
	for _, t := range ts {
		p := prepared{sched: t.Schedule, enabled: true}
		if p.loc, err = loadZone(t.Timezone); err != nil {
			return err
		}
		next := p.next(now)
		enabled := boolInt(next.Valid)
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET enabled = $1, paused_by_deletion = 0, next_run_at = $2 WHERE id = $3`,
			enabled, next, t.ID); err != nil {
			return fmt.Errorf("tasks: resume: %w", err)
		}
	}
	return nil
}

func loadZone(name string) (*time.Location, error) {
	loc, err := schedule.LoadZone(name)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}
