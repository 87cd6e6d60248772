package app

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/insights"
)

func init() {
	RegisterCommand("nightly", Command{"nightly analysis: `ally nightly run [--email E] [--date YYYY-MM-DD]` analyses now; `ally nightly report` shows the quality report", cmdNightly})
}

func cmdNightly(ctx context.Context, env Env) error {
	usage := func() error {
		fmt.Fprintln(env.Stderr, "usage: ally nightly run [--email ADDRESS] [--date YYYY-MM-DD]   analyse now (one user by direct calls, or a sweep of every user due)")
		fmt.Fprintln(env.Stderr, "       ally nightly report [--days N]                        thumbs-down rate, mean score, failure categories and cost per night")
		return exitError{2}
	}
	if len(env.Args) == 0 {
		return usage()
	}
	sub := env.Args[0]
	fs := flag.NewFlagSet("nightly "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "the account to analyse")
	date := fs.String("date", "", "the local date to analyse (default: the user's yesterday)")
	days := fs.Int("days", 14, "how many nights to report")
	if err := fs.Parse(env.Args[1:]); err != nil {
		return usage()
	}
	switch sub {
	case "run":
		if *date != "" && *email == "" {
			return usage()
		}
	case "report":
	default:
		return usage()
	}
	m, err := openMain(ctx, env)
	if err != nil {
		return err
	}
	defer m.Close()
	if sub == "report" {
		return nightlyReport(ctx, m, env, *days)
	}
	if *email == "" {
		// The schedule's sweep, now: the analysis jobs it queues run on the serving instances.
		res, err := m.Insights.Sweep(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "found %d user-night(s) due; submitted %d request(s) in %d batch(es)\n", res.Found, res.Requests, res.Batches)
		return nil
	}
	u, err := m.Auth.UserByEmail(ctx, *email)
	if err != nil {
		return err
	}
	night := *date
	if night == "" {
		loc, err := m.Auth.UserLocation(ctx, u.ID)
		if err != nil {
			return err
		}
		night = time.Now().In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	status, err := m.Insights.AnalyseNow(ctx, u.ID, night)
	if err != nil {
		return err
	}
	switch status {
	case insights.RunDone:
		fmt.Fprintf(env.Stdout, "%s: night %s analysed\n", u.Email, night)
	case insights.RunSkipped:
		fmt.Fprintf(env.Stdout, "%s: night %s not analysed (no activity, opted out or account not active)\n", u.Email, night)
	default:
		fmt.Fprintf(env.Stdout, "%s: night %s is %s (its batch is still being processed)\n", u.Email, night, status)
	}
	return nil
}

func nightlyReport(ctx context.Context, m *Main, env Env, days int) error {
	rep, err := m.Insights.Report(ctx, days)
	if err != nil {
		return err
	}
	if len(rep) == 0 {
		fmt.Fprintln(env.Stdout, "no night analysed yet")
		return nil
	}
	fmt.Fprintf(env.Stdout, "%-10s %6s %6s %10s %10s %9s %6s  %s\n", "night", "users", "batch", "cost $", "$/user", "thumbs↓", "score", "failure categories")
	for _, r := range rep {
		quality := fmt.Sprintf("%9s %6s  (fewer than %d users: not shown)", "-", "-", insights.MinGroup)
		if !r.Suppressed {
			rate, score := "-", "-"
			if r.ThumbsDownRate != nil {
				rate = fmt.Sprintf("%.1f%%", *r.ThumbsDownRate*100)
			}
			if r.MeanScore != nil {
				score = fmt.Sprintf("%.2f", *r.MeanScore)
			}
			var cats []string
			for _, c := range r.SortedCategories() {
				cats = append(cats, fmt.Sprintf("%s %d", c, r.Categories[c]))
			}
			quality = fmt.Sprintf("%9s %6s  %s", rate, score, strings.Join(cats, ", "))
		}
		fmt.Fprintf(env.Stdout, "%-10s %6d %6d %10.4f %10.6f %s\n", r.Night, r.Users, r.Batch,
			float64(r.CostMicros)/1e6, float64(r.CostPerUserMicros)/1e6, quality)
	}
	return nil
}
