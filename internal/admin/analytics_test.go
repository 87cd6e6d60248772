package admin_test

import (
	"testing"

	"myally.app/ally/internal/app/apptest"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

type analyticsBody struct {
	Plans []string
	Days  []struct {
		Day    string
		Groups []struct {
			Plan    string
			Metrics map[string]struct {
				Value      *float64
				Suppressed bool
			}
		}
	}
}

// cell returns a figure of the response: its value (nil when suppressed).
func (a analyticsBody) cell(t *testing.T, day, plan, metric string) *float64 {
	t.Helper()
	for _, d := range a.Days {
		if d.Day != day {
			continue
		}
		for _, g := range d.Groups {
			if g.Plan == plan {
				c, ok := g.Metrics[metric]
				if !ok {
					t.Fatalf("%s %s has no %s", day, plan, metric)
				}
				if c.Suppressed != (c.Value == nil) {
					t.Fatalf("%s %s %s: suppressed %v with value %v", day, plan, metric, c.Suppressed, c.Value)
				}
				return c.Value
			}
		}
	}
	t.Fatalf("no %s %s in the answer", day, plan)
	return nil
}

// TestAnalyticsSuppressSmallGroups: figures from fewer than 5 users are null and marked
// suppressed, and on every day and metric no single plan's suppressed figure can be worked
// out from the day's total and the shown plans: either the total is suppressed too, or
// at least two plans are, holding together at least 5 users.
func TestAnalyticsSuppressSmallGroups(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		_, adm := authtest.NewUser(t, s, authtest.Admin())
		users := func(plan string, n int) []string {
			var ids []string
			for range n {
				id, _ := authtest.NewUser(t, s)
				setPlan(t, s, id, plan)
				ids = append(ids, id)
			}
			return ids
		}
		free, pro, team := users("free", 7), users("pro", 2), users("team", 6)
		day1, day2, day3 := "2026-11-20", "2026-11-21", "2026-11-22"
		// Day 1: free 7 users, pro 2. Day 2: free 7, pro 2, team 6. Day 3: free 3.
		for i, id := range free {
			seedUsage(t, s, id, day1, 10, 1000)
			seedUsage(t, s, id, day2, 10, 1000)
			if i < 3 {
				seedUsage(t, s, id, day3, 10, 1000)
			}
		}
		for _, id := range pro {
			seedUsage(t, s, id, day1, 50, 9000)
			seedUsage(t, s, id, day2, 50, 9000)
		}
		for _, id := range team {
			seedUsage(t, s, id, day2, 20, 2000)
		}
		var a analyticsBody
		must(t, get(s, "/api/v1/admin/analytics?from="+day1+"&to="+day3, adm), 200, "analytics").JSON(t, &a)
		if len(a.Days) != 3 {
			t.Fatalf("%d days", len(a.Days))
		}

		// Day 1: pro (2 users) is suppressed, and so is free, its only complement; the
		// total of 9 users shows.
		for _, m := range []string{"active_users", "messages", "tokens"} {
			if v := a.cell(t, day1, "pro", m); v != nil {
				t.Errorf("day 1 pro %s = %v from 2 users", m, *v)
			}
			if v := a.cell(t, day1, "free", m); v != nil {
				t.Errorf("day 1 free %s = %v shown: total minus it reveals pro", m, *v)
			}
		}
		if v := a.cell(t, day1, "all", "messages"); v == nil || *v != 7*10+2*50 {
			t.Errorf("day 1 total messages %v, want %d", v, 7*10+2*50)
		}
		// Day 2: pro suppressed, team (the smallest shown plan) with it; free and the total show.
		if a.cell(t, day2, "pro", "messages") != nil || a.cell(t, day2, "team", "messages") != nil {
			t.Error("day 2: pro or team shown")
		}
		if v := a.cell(t, day2, "free", "messages"); v == nil || *v != 70 {
			t.Errorf("day 2 free messages %v, want 70", v)
		}
		if v := a.cell(t, day2, "all", "active_users"); v == nil || *v != 15 {
			t.Errorf("day 2 active users %v, want 15", v)
		}
		// Day 3: 3 users in all: everything suppressed.
		if a.cell(t, day3, "free", "messages") != nil || a.cell(t, day3, "all", "messages") != nil {
			t.Error("day 3: a figure from 3 users shown")
		}
		// Today: 16 signups, 2 of them pro: suppressed, with a complement.
		// Non-differencing, on every day and metric.
		for _, d := range a.Days {
			for _, m := range []string{"active_users", "signups", "messages", "tokens", "cost_micros", "fallback_share", "thumbs_down_rate", "task_runs"} {
				hidden := 0
				for _, p := range a.Plans {
					if a.cell(t, d.Day, p, m) == nil {
						hidden++
					}
				}
				if hidden == 1 && a.cell(t, d.Day, "all", m) != nil {
					t.Errorf("%s %s: one plan suppressed while the total shows: it can be differenced", d.Day, m)
				}
			}
		}
	})
}
