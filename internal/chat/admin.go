package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/db"
)

// MessageCounts returns how many messages each of ids has written (not the assistant's
// replies); absent ids have none. Counts only, never content.
func (s *Store) MessageCounts(ctx context.Context, ids []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	params := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		params[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT user_id, COUNT(*) FROM messages
		WHERE role = 'user' AND user_id IN (`+strings.Join(params, ", ")+`) GROUP BY user_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("chat: message counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// FeedbackDay is the feedback one group of users (a plan) gave on one UTC day: Ratings
// current ratings, Down the thumbs-down among them, Users how many users gave them.
type FeedbackDay struct {
	Day, Group           string
	Users, Ratings, Down int64
}

// FeedbackByGroup counts the replies rated in [from, to) per UTC day of the rating and per
// group, group naming each user's group; a reply counts once, with its current rating.
func (s *Store) FeedbackByGroup(ctx context.Context, from, to time.Time, group func(userID string) string) ([]FeedbackDay, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT f.user_id, f.rating, f.created_at FROM message_feedback f
		WHERE f.created_at >= $1 AND f.created_at < $2 AND f.rating IN ('up', 'down')
		  AND f.id = (SELECT MAX(g.id) FROM message_feedback g WHERE g.message_id = f.message_id)`,
		db.Millis(from), db.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("chat: feedback by group: %w", err)
	}
	defer rows.Close()
	type key struct{ day, group string }
	sums := map[key]*FeedbackDay{}
	users := map[key]map[string]bool{}
	var order []key
	for rows.Next() {
		var user, rating string
		var at int64
		if err := rows.Scan(&user, &rating, &at); err != nil {
			return nil, err
		}
		k := key{db.Time(at).UTC().Format(time.DateOnly), group(user)}
		f := sums[k]
		if f == nil {
			f = &FeedbackDay{Day: k.day, Group: k.group}
			sums[k], users[k] = f, map[string]bool{}
			order = append(order, k)
		}
		f.Ratings++
		if rating == "down" {
			f.Down++
		}
		users[k][user] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]FeedbackDay, 0, len(order))
	for _, k := range order {
		f := *sums[k]
		f.Users = int64(len(users[k]))
		out = append(out, f)
	}
	return out, nil
}
