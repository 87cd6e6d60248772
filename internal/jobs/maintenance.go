package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
)

// OptimizeArgs is the daily database upkeep job: SQLite refreshes its query planner
// statistics and truncates its write-ahead log; PostgreSQL refreshes statistics.
type OptimizeArgs struct{}

// Kind implements river.JobArgs.
func (OptimizeArgs) Kind() string { return "db_optimize" }

// OptimizeWorker runs OptimizeArgs.
type OptimizeWorker struct {
	river.WorkerDefaults[OptimizeArgs]
	DB *db.DB
}

// Work implements river.Worker.
func (w *OptimizeWorker) Work(ctx context.Context, job *river.Job[OptimizeArgs]) error {
	stmts := []string{"ANALYZE"}
	if w.DB.Dialect == db.SQLite {
		stmts = []string{"PRAGMA optimize", "PRAGMA wal_checkpoint(TRUNCATE)"}
	}
	for _, s := range stmts {
		if _, err := w.DB.W.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("db optimize: %s: %w", s, err)
		}
	}
	return nil
}

// RegisterMaintenance adds the upkeep worker and schedules it daily.
func RegisterMaintenance(workers *river.Workers, d *db.DB) []*river.PeriodicJob {
	river.AddWorker(workers, &OptimizeWorker{DB: d})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return OptimizeArgs{}, nil },
		&river.PeriodicJobOpts{ID: "db_optimize"})}
}
