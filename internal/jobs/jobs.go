// Package jobs runs Ally's background work on River, a durable job queue kept in the same
// database as everything else: River's SQLite driver for the embedded default, its pgx
// driver on PostgreSQL. Jobs are inserted in the same transaction as the change that
// causes them, so a committed change always has its job and a rolled-back one never does.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"myally.app/ally/internal/db"
)

// Options tunes the queue.
type Options struct {
	// Workers are the job kinds this process can run; nil makes an insert-only queue.
	Workers *river.Workers
	// PeriodicJobs are scheduled by the elected leader instance.
	PeriodicJobs []*river.PeriodicJob
	// MaxWorkers caps concurrent jobs in the default queue (default 10).
	MaxWorkers int
	// FetchPollInterval is how often idle workers look for new jobs (default 1s; SQLite has
	// no notifications, so this is its pick-up latency).
	FetchPollInterval time.Duration
	Logger            *slog.Logger
	Metrics           *Metrics
}

// Queue inserts and runs jobs.
type Queue struct {
	dialect db.Dialect
	// inserter inserts inside database/sql transactions.
	inserter *river.Client[*sql.Tx]
	// runner is the client that works jobs (nil for insert-only queues).
	runner runner
	// pgx is the working client on PostgreSQL (nil elsewhere); the job-queue UI reads
	// through it.
	pgx     *river.Client[pgx.Tx]
	metrics *Metrics
	stopSub func()
	done    chan struct{}
}

// runner is the part of a River client that is independent of its transaction type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// New builds a queue on d. It does not start working jobs; call Start.
func New(d *db.DB, o Options) (*Queue, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := &river.Config{
		Logger:            logger.With("component", "jobs"),
		FetchPollInterval: o.FetchPollInterval,
		// Job rows can hold user data; completed ones are cleaned within a day.
		CompletedJobRetentionPeriod: 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
		CancelledJobRetentionPeriod: 24 * time.Hour,
	}
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = time.Second
	}
	// River refuses a cooldown longer than the poll interval (tests poll fast).
	cfg.FetchCooldown = min(100*time.Millisecond, cfg.FetchPollInterval)
	if o.Workers != nil {
		cfg.Workers = o.Workers
		cfg.PeriodicJobs = o.PeriodicJobs
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: orDefault(o.MaxWorkers, 10)}}
	}
	q := &Queue{dialect: d.Dialect, metrics: o.Metrics}
	switch d.Dialect {
	case db.SQLite:
		drv := newSQLiteDriver(d.W)
		c, err := river.NewClient[*sql.Tx](drv, cfg)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		if o.Workers != nil {
			d.AfterWrite(drv.Wake)
		}
		q.inserter = c
		if o.Workers != nil {
			q.runner = c
		}
	case db.Postgres:
		ins, err := river.NewClient(riverdatabasesql.New(d.W), &river.Config{Logger: cfg.Logger})
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		q.inserter = ins
		if o.Workers != nil {
			var c *river.Client[pgx.Tx]
			c, err = river.NewClient(riverpgxv5.New(d.Pool), cfg)
			if err != nil {
				return nil, fmt.Errorf("jobs: %w", err)
			}
			q.runner = c
			q.pgx = c
		}
	}
	return q, nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Migrate creates or updates River's own tables.
func Migrate(ctx context.Context, d *db.DB) error {
	return d.WithMigrationLock(ctx, func() error {
		var err error
		switch d.Dialect {
		case db.SQLite:
			var m *rivermigrate.Migrator[*sql.Tx]
			if m, err = rivermigrate.New(riversqlite.New(d.W), nil); err == nil {
				_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			}
		case db.Postgres:
			var m *rivermigrate.Migrator[pgx.Tx]
			if m, err = rivermigrate.New(riverpgxv5.New(d.Pool), nil); err == nil {
				_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			}
		}
		if err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		return nil
	})
}

// Insert enqueues a job inside tx, so it exists exactly when tx commits.
func (q *Queue) Insert(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := q.inserter.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Start begins working jobs; it returns once the workers are running.
func (q *Queue) Start(ctx context.Context) error {
	if q.runner == nil {
		return nil
	}
	if q.metrics != nil {
		events, cancel := q.runner.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
			river.EventKindJobCancelled, river.EventKindJobSnoozed)
		q.stopSub = cancel
		q.done = make(chan struct{})
		go q.metrics.consume(events, q.done)
	}
	if err := q.runner.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels the rest; their rows stay
// and they run again after a restart.
func (q *Queue) Stop(ctx context.Context) error {
	if q.runner == nil {
		return nil
	}
	err := q.runner.Stop(ctx)
	if err != nil {
		// Ran out of time: cancel what is left (River retries those jobs later).
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = q.runner.StopAndCancel(hard)
	}
	if q.stopSub != nil {
		q.stopSub()
		<-q.done
	}
	return err
}
