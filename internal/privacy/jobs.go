package privacy

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// PurgeDueArgs is the periodic job that purges accounts whose recovery window has ended.
// It names no user: a job row holding a user id would itself be data to purge.
type PurgeDueArgs struct{}

// Kind implements river.JobArgs.
func (PurgeDueArgs) Kind() string { return "privacy_purge_due" }

// RetentionArgs is the daily job that applies the retention rules.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "privacy_retention" }

type purgeWorker struct {
	river.WorkerDefaults[PurgeDueArgs]
	s *Service
}

func (w *purgeWorker) Work(ctx context.Context, _ *river.Job[PurgeDueArgs]) error {
	_, err := w.s.PurgeDue(ctx)
	return err
}

type retentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	s *Service
}

func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	n, err := w.s.ApplyRetention(ctx)
	if err == nil {
		w.s.logger.Info("retention applied", "rows_by_table", n)
	}
	return err
}

// Register adds the purge and retention workers and returns their schedules: the purge
// hourly (an account goes within an hour of its recovery window's end), retention daily.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &purgeWorker{s: s})
	river.AddWorker(workers, &retentionWorker{s: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeDueArgs{}, nil },
			&river.PeriodicJobOpts{ID: "privacy_purge_due", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil },
			&river.PeriodicJobOpts{ID: "privacy_retention", RunOnStart: true}),
	}
}

// RunAll runs every retention and purge job now (`ally retention run`): the purge of
// accounts past their recovery window, this package's retention rules and the features'
// own retention jobs.
func (s *Service) RunAll(ctx context.Context) (purged int, retained map[string]int64, err error) {
	purged, err = s.PurgeDue(ctx)
	if err != nil {
		return purged, nil, err
	}
	retained, err = s.ApplyRetention(ctx)
	if err != nil {
		return purged, retained, err
	}
	return purged, retained, s.runRetainers(ctx, retained)
}
