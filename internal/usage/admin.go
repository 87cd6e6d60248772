package usage

import (
	"context"
	"fmt"
	"strings"
)

// GroupDay is the usage of one group of users (a plan) on one day: aggregates only. Users
// is how many users the figures are computed from (those with any usage that day).
type GroupDay struct {
	Day, Group    string
	Users         int64
	Messages      int64
	ModelCalls    int64
	FallbackCalls int64
	Tokens        int64
	CostMicros    int64
}

// DailyByGroup sums the daily aggregates of the local days fromDay..toDay (YYYY-MM-DD,
// inclusive) per day and per group, group naming each user's group (their plan). Only
// the sums leave this method, never a user's row.
func (s *Service) DailyByGroup(ctx context.Context, fromDay, toDay string, group func(userID string) string) ([]GroupDay, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT user_id, day, messages, model_calls, fallback_calls,
			input_tokens + output_tokens + cache_read_tokens + cache_write_tokens, cost_micros
		FROM usage_daily WHERE day >= $1 AND day <= $2 AND (messages > 0 OR model_calls > 0)`, fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("usage: daily by group: %w", err)
	}
	defer rows.Close()
	sums := map[[2]string]*GroupDay{}
	var order [][2]string
	for rows.Next() {
		var user, day string
		var r GroupDay
		if err := rows.Scan(&user, &day, &r.Messages, &r.ModelCalls, &r.FallbackCalls, &r.Tokens, &r.CostMicros); err != nil {
			return nil, fmt.Errorf("usage: daily by group: %w", err)
		}
		k := [2]string{day, group(user)}
		g := sums[k]
		if g == nil {
			g = &GroupDay{Day: k[0], Group: k[1]}
			sums[k] = g
			order = append(order, k)
		}
		g.Users++
		g.Messages += r.Messages
		g.ModelCalls += r.ModelCalls
		g.FallbackCalls += r.FallbackCalls
		g.Tokens += r.Tokens
		g.CostMicros += r.CostMicros
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]GroupDay, 0, len(order))
	for _, k := range order {
		out = append(out, *sums[k])
	}
	return out, nil
}

// AccountTotals is a user's usage over the retained daily aggregates (12 months).
type AccountTotals struct {
	Messages int64
	Tokens   int64
}

// TotalsFor returns the retained usage totals of each of ids (absent: none).
func (s *Service) TotalsFor(ctx context.Context, ids []string) (map[string]AccountTotals, error) {
	out := map[string]AccountTotals{}
	if len(ids) == 0 {
		return out, nil
	}
	params := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		params[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT user_id, COALESCE(SUM(messages), 0),
			COALESCE(SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0)
		FROM usage_daily WHERE user_id IN (`+strings.Join(params, ", ")+`) GROUP BY user_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("usage: totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var t AccountTotals
		if err := rows.Scan(&id, &t.Messages, &t.Tokens); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}
