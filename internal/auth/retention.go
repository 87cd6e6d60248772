package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
)

// RetentionArgs is the daily job that deletes sign-in history older than 90 days and
// expired tokens, sign-in states and rate-limit counters.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "auth_retention" }

type retentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	svc *Service
}

func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	_, err := w.svc.RunRetention(ctx)
	return err
}

// RegisterJobs adds the service's workers and returns its periodic jobs.
func (s *Service) RegisterJobs(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &retentionWorker{svc: s})
	river.AddWorker(workers, &accountMailWorker{svc: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil },
		&river.PeriodicJobOpts{ID: "auth_retention", RunOnStart: true})}
}

// RunRetention deletes what the retention rules say is due now and returns how many
// sign-in records went.
func (s *Service) RunRetention(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM sign_ins WHERE created_at <= $1`, db.Millis(now.Add(-SignInRetention)))
	if err != nil {
		return 0, fmt.Errorf("auth: purge sign-in history: %w", err)
	}
	n, _ := res.RowsAffected()
	// Used or expired links are kept a week for support questions, then go.
	week := db.Millis(now.Add(-7 * 24 * time.Hour))
	stmts := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM account_tokens WHERE expires_at < $1`, []any{week}},
		{`DELETE FROM oauth_states WHERE expires_at < $1`, []any{db.Millis(now)}},
		{`DELETE FROM oauth_grants WHERE expires_at < $1`, []any{db.Millis(now)}},
		{`DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, []any{week}},
	}
	for _, st := range stmts {
		if _, err := s.db.W.ExecContext(ctx, st.sql, st.args...); err != nil {
			return n, fmt.Errorf("auth: retention: %w", err)
		}
	}
	if _, err := s.limiter.Purge(ctx); err != nil {
		return n, err
	}
	return n, nil
}
