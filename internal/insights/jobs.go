package insights

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// SweepArgs is the hourly sweep for users whose night has come.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "nightly_sweep" }

// InsertOpts makes one sweep per hour, whatever the number of instances.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// NightArgs analyses one user-night (by a direct call, or by applying its batch result).
// Unique by both, so a night has one job.
type NightArgs struct {
	UserID string `json:"user_id" river:"unique"`
	Night  string `json:"night" river:"unique"`
}

// Kind implements river.JobArgs.
func (NightArgs) Kind() string { return "nightly_night" }

// InsertOpts retries a failed analysis with River's backoff.
func (NightArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PollArgs polls a Message Batch until it ends or expires, then fetches its results.
type PollArgs struct {
	BatchID string `json:"batch_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (PollArgs) Kind() string { return "nightly_poll" }

// InsertOpts: one poll job per batch; it snoozes between polls (not counted as attempts).
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	s *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.s.Sweep(ctx)
	return err
}

// Timeout: a sweep reads many users' days when it submits their batch.
func (w *sweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return 30 * time.Minute }

type nightWorker struct {
	river.WorkerDefaults[NightArgs]
	s *Service
}

func (w *nightWorker) Work(ctx context.Context, job *river.Job[NightArgs]) error {
	return w.s.RunNight(ctx, job.Args.UserID, job.Args.Night)
}

func (w *nightWorker) Timeout(*river.Job[NightArgs]) time.Duration { return 5 * time.Minute }

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	s *Service
}

func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	return w.s.Poll(ctx, job.Args.BatchID)
}

func (w *pollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Register adds the workers and returns the hourly sweep for the elected leader.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &sweepWorker{s: s})
	river.AddWorker(workers, &nightWorker{s: s})
	river.AddWorker(workers, &pollWorker{s: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "nightly_sweep", RunOnStart: true})}
}
