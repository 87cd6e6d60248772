package tasks

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// RunsDay is how many task runs one group of users (a plan) had scheduled on one UTC day,
// and how many users they belong to. Counts only.
type RunsDay struct {
	Day, Group  string
	Users, Runs int64
}

// RunsByGroup counts the runs scheduled in [from, to) that started (or were missed) per
// UTC day and per group, group naming each user's group.
func (s *Service) RunsByGroup(ctx context.Context, from, to time.Time, group func(userID string) string) ([]RunsDay, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT user_id, scheduled_for FROM task_runs
		WHERE scheduled_for >= $1 AND scheduled_for < $2 AND status <> 'queued'`, db.Millis(from), db.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("tasks: runs by group: %w", err)
	}
	defer rows.Close()
	type key struct{ day, group string }
	sums := map[key]*RunsDay{}
	users := map[key]map[string]bool{}
	var order []key
	for rows.Next() {
		var user string
		var at int64
		if err := rows.Scan(&user, &at); err != nil {
			return nil, err
		}
		k := key{db.Time(at).UTC().Format(time.DateOnly), group(user)}
		r := sums[k]
		if r == nil {
			r = &RunsDay{Day: k.day, Group: k.group}
			sums[k], users[k] = r, map[string]bool{}
			order = append(order, k)
		}
		r.Runs++
		users[k][user] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]RunsDay, 0, len(order))
	for _, k := range order {
		r := *sums[k]
		r.Users = int64(len(users[k]))
		out = append(out, r)
	}
	return out, nil
}
