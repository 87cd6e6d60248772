package admin

import (
	"context"
	"net/http"
	"sort"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/insights"
)

// MinGroup is the fewest users a figure may be computed from (PRIV-6); a cell from fewer
// is suppressed.
const MinGroup = 5

// maxRangeDays caps an analytics range.
const maxRangeDays = 366

// AllPlans names a day's total across plans.
const AllPlans = "all"

// Metrics are the analytics' daily figures, in the order the area shows them.
var Metrics = []string{"active_users", "signups", "messages", "tokens", "cost_micros", "fallback_share", "thumbs_down_rate", "task_runs"}

// Cell is one figure: Value is null when Suppressed (computed from fewer than MinGroup
// users, or hidden so that it cannot be worked out from the other figures of its day).
type Cell struct {
	Value      *float64 `json:"value"`
	Suppressed bool     `json:"suppressed"`
}

// Group is one plan's figures on one day (or the day's total, plan "all").
type Group struct {
	Plan    string          `json:"plan"`
	Metrics map[string]Cell `json:"metrics"`
}

// Day is one day of the series.
type Day struct {
	Day    string  `json:"day"`
	Groups []Group `json:"groups"`
}

// Analytics is the daily series from From to To (inclusive) and the nightly quality report.
type Analytics struct {
	From     string                 `json:"from"`
	To       string                 `json:"to"`
	MinGroup int                    `json:"min_group"`
	Plans    []string               `json:"plans"`
	Metrics  []string               `json:"metrics"`
	Days     []Day                  `json:"days"`
	Quality  []insights.NightReport `json:"quality"`
}

// raw is a figure before suppression: a sum (or numerator and denominator for a rate) and
// the number of users it comes from.
type raw struct {
	num, den float64
	users    int64
	rate     bool
}

func (r raw) value() float64 {
	if !r.rate {
		return r.num
	}
	if r.den == 0 {
		return 0
	}
	return r.num / r.den
}

// Compute builds the series for the days from..to (inclusive), grouping by each
// account's current plan.
func (s *Service) Compute(ctx context.Context, from, to time.Time) (Analytics, error) {
	plans, err := s.d.Accounts.PlanOfEveryAccount(ctx)
	if err != nil {
		return Analytics{}, err
	}
	group := func(id string) string {
		if p, ok := plans[id]; ok {
			return p
		}
		return "unknown"
	}
	end := to.AddDate(0, 0, 1)
	fromDay, toDay := from.Format(time.DateOnly), to.Format(time.DateOnly)
	cells := map[string]map[string]map[string]raw{} // day → plan → metric
	put := func(day, plan, metric string, r raw) {
		if cells[day] == nil {
			cells[day] = map[string]map[string]raw{}
		}
		if cells[day][plan] == nil {
			cells[day][plan] = map[string]raw{}
		}
		cells[day][plan][metric] = r
	}
	planSet := map[string]bool{}
	for _, p := range plans {
		planSet[p] = true
	}

	used, err := s.d.Usage.DailyByGroup(ctx, fromDay, toDay, group)
	if err != nil {
		return Analytics{}, err
	}
	for _, g := range used {
		planSet[g.Group] = true
		put(g.Day, g.Group, "active_users", raw{num: float64(g.Users), users: g.Users})
		put(g.Day, g.Group, "messages", raw{num: float64(g.Messages), users: g.Users})
		put(g.Day, g.Group, "tokens", raw{num: float64(g.Tokens), users: g.Users})
		put(g.Day, g.Group, "cost_micros", raw{num: float64(g.CostMicros), users: g.Users})
		put(g.Day, g.Group, "fallback_share", raw{num: float64(g.FallbackCalls), den: float64(g.ModelCalls), users: g.Users, rate: true})
	}
	signups, err := s.d.Accounts.SignupsByDay(ctx, from, end)
	if err != nil {
		return Analytics{}, err
	}
	for _, g := range signups {
		planSet[g.Plan] = true
		put(g.Day, g.Plan, "signups", raw{num: float64(g.Signups), users: g.Signups})
	}
	feedback, err := s.d.Messages.FeedbackByGroup(ctx, from, end, group)
	if err != nil {
		return Analytics{}, err
	}
	for _, g := range feedback {
		planSet[g.Group] = true
		put(g.Day, g.Group, "thumbs_down_rate", raw{num: float64(g.Down), den: float64(g.Ratings), users: g.Users, rate: true})
	}
	runs, err := s.d.Tasks.RunsByGroup(ctx, from, end, group)
	if err != nil {
		return Analytics{}, err
	}
	for _, g := range runs {
		planSet[g.Group] = true
		put(g.Day, g.Group, "task_runs", raw{num: float64(g.Runs), users: g.Users})
	}

	out := Analytics{From: fromDay, To: toDay, MinGroup: MinGroup, Metrics: Metrics, Days: []Day{}}
	for p := range planSet {
		out.Plans = append(out.Plans, p)
	}
	sort.Strings(out.Plans)
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		out.Days = append(out.Days, suppressDay(day, out.Plans, cells[day]))
	}
	days := int(to.Sub(from).Hours()/24) + 1
	nights, err := s.d.Quality.Report(ctx, days+1)
	if err != nil {
		return Analytics{}, err
	}
	out.Quality = []insights.NightReport{}
	for _, n := range nights {
		if n.Night >= fromDay && n.Night <= toDay {
			out.Quality = append(out.Quality, n)
		}
	}
	return out, nil
}

// suppressDay turns one day's raw figures into cells. For each metric, a plan's figure
// from 1 to MinGroup-1 users is suppressed; then, so that the day's total minus the shown
// plans cannot reveal it, further plans (the smallest first) are suppressed until the
// suppressed plans together hold at least MinGroup users; when no plan is left to add, the
// day's total is suppressed too. A figure from no user at all is 0 and shown.
func suppressDay(day string, plans []string, byPlan map[string]map[string]raw) Day {
	out := Day{Day: day}
	groups := map[string]map[string]Cell{}
	for _, p := range append([]string{AllPlans}, plans...) {
		groups[p] = map[string]Cell{}
	}
	for _, m := range Metrics {
		var total raw
		hidden := map[string]bool{}
		var hiddenUsers int64
		for _, p := range plans {
			r := byPlan[p][m]
			total.num, total.den, total.users, total.rate = total.num+r.num, total.den+r.den, total.users+r.users, total.rate || r.rate
			if r.users > 0 && r.users < MinGroup {
				hidden[p] = true
				hiddenUsers += r.users
			}
		}
		if len(hidden) > 0 && hiddenUsers < MinGroup {
			// Add the smallest shown plans with users until the hidden ones hold enough.
			rest := []string{}
			for _, p := range plans {
				if !hidden[p] && byPlan[p][m].users > 0 {
					rest = append(rest, p)
				}
			}
			sort.SliceStable(rest, func(i, j int) bool { return byPlan[rest[i]][m].users < byPlan[rest[j]][m].users })
			for _, p := range rest {
				if hiddenUsers >= MinGroup {
					break
				}
				hidden[p] = true
				hiddenUsers += byPlan[p][m].users
			}
		}
		totalHidden := (total.users > 0 && total.users < MinGroup) || (len(hidden) > 0 && hiddenUsers < MinGroup)
		for _, p := range plans {
			groups[p][m] = cell(byPlan[p][m], hidden[p])
		}
		groups[AllPlans][m] = cell(total, totalHidden)
	}
	for _, p := range append([]string{AllPlans}, plans...) {
		out.Groups = append(out.Groups, Group{Plan: p, Metrics: groups[p]})
	}
	return out
}

func cell(r raw, hidden bool) Cell {
	if hidden {
		return Cell{Suppressed: true}
	}
	v := r.value()
	return Cell{Value: &v}
}

func (s *Service) handleAnalytics(w http.ResponseWriter, r *http.Request) {
	today := s.now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -29), today
	var err error
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = time.Parse(time.DateOnly, v); err != nil {
			httpx.Error(w, r, errs.InvalidField("from", "from must be a date YYYY-MM-DD"))
			return
		}
	}
	if v := r.URL.Query().Get("to"); v != "" {
		if to, err = time.Parse(time.DateOnly, v); err != nil {
			httpx.Error(w, r, errs.InvalidField("to", "to must be a date YYYY-MM-DD"))
			return
		}
	}
	switch {
	case to.Before(from):
		httpx.Error(w, r, errs.InvalidField("from", "from must not be after to"))
		return
	case to.Sub(from) >= maxRangeDays*24*time.Hour:
		httpx.Error(w, r, errs.InvalidField("to", "a range covers at most %d days", maxRangeDays))
		return
	}
	a, err := s.Compute(r.Context(), from, to)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, a)
}
