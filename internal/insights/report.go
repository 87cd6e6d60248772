package insights

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
)

// MinGroup is the fewest users a night's quality figures are shown for (PRIV-6): smaller
// groups could single a user out.
const MinGroup = 5

// NightReport is the operator's view of one night (NIGHT-4): aggregates only, never a
// user's content or id.
type NightReport struct {
	Night string `json:"night"`
	// Users is how many user-nights were analysed; Batch how many of them by the batch API.
	Users int64 `json:"users"`
	Batch int64 `json:"batch"`
	// CostMicros is the night's estimated cost, in total and per analysed user.
	CostMicros        int64 `json:"cost_micros"`
	CostPerUserMicros int64 `json:"cost_per_user_micros"`
	// Suppressed is set when fewer than MinGroup users were analysed: the quality
	// figures below are then left out.
	Suppressed     bool           `json:"suppressed"`
	ThumbsDownRate *float64       `json:"thumbs_down_rate,omitempty"`
	MeanScore      *float64       `json:"mean_score,omitempty"`
	Categories     map[string]int `json:"categories,omitempty"`
}

// Report returns the last days nights, newest first.
func (s *Service) Report(ctx context.Context, days int) ([]NightReport, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT night, COUNT(*), COALESCE(SUM(CASE WHEN via = 'batch' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(cost_micros), 0), COALESCE(SUM(feedback), 0), COALESCE(SUM(thumbs_down), 0)
		FROM nightly_runs WHERE status = $1 GROUP BY night ORDER BY night DESC LIMIT $2`, RunDone, days)
	if err != nil {
		return nil, fmt.Errorf("insights: report: %w", err)
	}
	var out []NightReport
	var feedback, down []int64
	for rows.Next() {
		var r NightReport
		var f, d int64
		if err := rows.Scan(&r.Night, &r.Users, &r.Batch, &r.CostMicros, &f, &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: report: %w", err)
		}
		if r.Users > 0 {
			r.CostPerUserMicros = r.CostMicros / r.Users
		}
		out = append(out, r)
		feedback, down = append(feedback, f), append(down, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		r := &out[i]
		if r.Users < MinGroup {
			r.Suppressed = true
			continue
		}
		if feedback[i] > 0 {
			rate := float64(down[i]) / float64(feedback[i])
			r.ThumbsDownRate = &rate
		}
		if err := s.noteFigures(ctx, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noteFigures adds the mean score and failure categories of a night's notes.
func (s *Service) noteFigures(ctx context.Context, r *NightReport) error {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT score, issues FROM nightly_notes WHERE night = $1`, r.Night)
	if err != nil {
		return fmt.Errorf("insights: report notes: %w", err)
	}
	defer rows.Close()
	var sum, n int
	r.Categories = map[string]int{}
	for rows.Next() {
		var score int
		var issues string
		if err := rows.Scan(&score, &issues); err != nil {
			return err
		}
		sum += score
		n++
		var cats []string
		_ = json.Unmarshal([]byte(issues), &cats)
		for _, c := range cats {
			r.Categories[c]++
		}
	}
	if n > 0 {
		mean := float64(sum) / float64(n)
		r.MeanScore = &mean
	}
	return rows.Err()
}

// SortedCategories lists a report's categories, most frequent first.
func (r NightReport) SortedCategories() []string {
	out := make([]string, 0, len(r.Categories))
	for c := range r.Categories {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if r.Categories[out[i]] != r.Categories[out[j]] {
			return r.Categories[out[i]] > r.Categories[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
