package tasks

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"myally.app/ally/internal/db"
)

// EnforceLimits applies a user's new plan limits to tasks already enabled, inside the
// caller's transaction (billing calls it when a user's plan changes). Tasks whose
// schedule runs more often than the plan's minimum interval are paused, then the newest
// tasks beyond the plan's active tasks, so the oldest keep running. Nothing is deleted:
// a paused task shows why on the tasks page, the user is told by one email, and enabling
// it again is checked against the plan like any other change. It returns how many tasks
// it paused.
func (s *Service) EnforceLimits(ctx context.Context, tx *sql.Tx, userID string, lim Limits) (int, error) {
	if err := s.lockUser(ctx, tx, userID); err != nil {
		return 0, fmt.Errorf("tasks: enforce limits: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE user_id = $1 AND enabled = 1
		ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return 0, fmt.Errorf("tasks: enforce limits: %w", err)
	}
	var active []*Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("tasks: enforce limits: %w", err)
		}
		active = append(active, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("tasks: enforce limits: %w", err)
	}
	now := s.now()
	reasons := map[string]string{}
	var keep []*Task
	for _, t := range active {
		loc, _ := loadZone(t.Timezone)
		if err := checkInterval(t.Schedule, now, loc, lim.MinInterval); err != nil {
			reasons[t.ID] = fmt.Sprintf("your plan now runs a task at most every %s", human(lim.MinInterval))
			continue
		}
		keep = append(keep, t)
	}
	// keep is newest first: the tasks beyond the limit are the first ones.
	if lim.ActiveTasks >= 0 && int64(len(keep)) > lim.ActiveTasks {
		for _, t := range keep[:int64(len(keep))-lim.ActiveTasks] {
			reasons[t.ID] = fmt.Sprintf("your plan now allows %d active tasks", lim.ActiveTasks)
		}
	}
	if len(reasons) == 0 {
		return 0, nil
	}
	var titles []string
	for _, t := range active {
		why, ok := reasons[t.ID]
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET enabled = 0, next_run_at = NULL, disabled_reason = $1, updated_at = $2
			WHERE user_id = $3 AND id = $4`, why+".", db.Millis(now), userID, t.ID); err != nil {
			return 0, fmt.Errorf("tasks: enforce limits: %w", err)
		}
		titles = append(titles, "- "+t.Title)
	}
	s.logger.Info("tasks paused by a plan change", "user_id", userID, "paused", len(titles))
	return len(titles), s.mailPlanPaused(ctx, tx, userID, titles, lim)
}

// mailPlanPaused tells the user, in one email, which tasks the plan change paused.
func (s *Service) mailPlanPaused(ctx context.Context, tx *sql.Tx, userID string, titles []string, lim Limits) error {
	acct, err := s.d.Accounts.Account(ctx, userID)
	if err != nil || acct.Email == "" {
		return err
	}
	reason := "your plan changed"
	if lim.ActiveTasks >= 0 {
		reason = fmt.Sprintf("your plan now allows %d active tasks", lim.ActiveTasks)
	}
	m, err := renderMail("tasks_plan_paused", map[string]any{"Name": acct.Name, "Reason": reason,
		"Text": strings.Join(titles, "\n"), "Link": s.d.PublicURL + "/settings/tasks"})
	if err != nil {
		return err
	}
	m.UserID, m.To = userID, acct.Email
	return s.d.Mail.Enqueue(ctx, tx, m)
}
