package app

import (
	"context"
	"fmt"
	"sort"

	"myally.app/ally/internal/privacy"
	"myally.app/ally/internal/ratelimit"
)

func init() {
	RegisterCommand("retention", Command{"`ally retention run`: purge accounts past their recovery window and apply the retention rules now", cmdRetention})
}

// wirePrivacy builds export, deletion, purge and retention, registers their routes and
// schedules their jobs. It comes after the features whose deletion hooks it runs.
func (m *Main) wirePrivacy(ctx context.Context) error {
	p, err := privacy.New(privacy.Deps{
		Config:   m.Config,
		DB:       m.DB,
		Accounts: m.Auth,
		Mail:     m.Mail,
		Limiter:  ratelimit.New(m.DB, m.JWTSecret),
		ClientIP: m.ClientIP,
		Logger:   m.Logger,
	})
	if err != nil {
		return err
	}
	m.Privacy = p
	// A deleted account's replies in progress stop: chat sets the stop request its
	// instances watch for in the deletion's transaction, and stops this instance's at once.
	p.OnDelete(m.Chat.StopUserReplies)
	m.wireThirdParties()
	// Sign-in history keeps its own daily job; `ally retention run` runs it too.
	p.AddRetention(privacy.Retainer{Table: "sign_ins", Keep: "90 days", Run: m.Auth.RunRetention})
	p.Routes(m.Mux)
	m.PeriodicJobs = append(m.PeriodicJobs, p.Register(m.Workers)...)
	return nil
}

func cmdRetention(ctx context.Context, env Env) error {
	if len(env.Args) != 1 || env.Args[0] != "run" {
		fmt.Fprintln(env.Stderr, "usage: ally retention run")
		return exitError{2}
	}
	m, err := openMain(ctx, env)
	if err != nil {
		return err
	}
	defer m.Close()
	purged, rows, err := m.Privacy.RunAll(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "purged %d deleted account(s) past their recovery window\n", purged)
	tables := make([]string, 0, len(rows))
	for t := range rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(env.Stdout, "retention: deleted %d row(s) from %s\n", rows[t], t)
	}
	return nil
}
