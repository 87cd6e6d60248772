package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/jobs"
)

type echoArgs struct {
	Note string `json:"note"`
}

func (echoArgs) Kind() string { return "test_echo" }

// echoWorker records each attempt and fails the first failFirst of them.
type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	attempts  *atomic.Int32
	failFirst int32
	done      chan string
}

func (w *echoWorker) Work(ctx context.Context, job *river.Job[echoArgs]) error {
	n := w.attempts.Add(1)
	if n <= w.failFirst {
		return errors.New("transient failure")
	}
	w.done <- job.Args.Note
	return nil
}

// NextRetry retries at once, so the test needs no waiting for backoff.
func (w *echoWorker) NextRetry(job *river.Job[echoArgs]) time.Time {
	return time.Now().Add(10 * time.Millisecond)
}

func newQueue(t *testing.T, d *db.DB, w *echoWorker) *jobs.Queue {
	t.Helper()
	workers := river.NewWorkers()
	if w != nil {
		river.AddWorker(workers, w)
	} else {
		workers = nil
	}
	q, err := jobs.New(d, jobs.Options{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func insert(t *testing.T, d *db.DB, q *jobs.Queue, note string) {
	t.Helper()
	err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := q.Insert(context.Background(), tx, echoArgs{Note: note}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func wait(t *testing.T, done <-chan string, want string) {
	t.Helper()
	select {
	case got := <-done:
		if got != want {
			t.Fatalf("worked job %q, want %q", got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("job %q did not run", want)
	}
}

// TestJobSurvivesRestart enqueues a job while no worker runs, closes the database as a
// stopped server would, then a new process on the same data works it.
func TestJobSurvivesRestart(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		first := dbtest.Open(t, tg)
		insert(t, first, newQueue(t, first, nil), "before restart")
		first.Close()

		second := dbtest.Open(t, tg)
		w := &echoWorker{attempts: new(atomic.Int32), done: make(chan string, 1)}
		q := newQueue(t, second, w)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)
		wait(t, w.done, "before restart")
	})
}

// TestFailedJobIsRetried: a job whose first attempt fails runs again and succeeds.
func TestFailedJobIsRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := &echoWorker{attempts: new(atomic.Int32), failFirst: 1, done: make(chan string, 1)}
		q := newQueue(t, d, w)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)
		insert(t, d, q, "flaky")
		wait(t, w.done, "flaky")
		if got := w.attempts.Load(); got != 2 {
			t.Fatalf("want 2 attempts (one failure, one retry), got %d", got)
		}
	})
}

// TestRolledBackInsertLeavesNoJob: jobs are transactional with the change that causes them.
func TestRolledBackInsertLeavesNoJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := newQueue(t, d, nil)
		_ = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := q.Insert(ctx, tx, echoArgs{Note: "x"}, nil); err != nil {
				t.Fatal(err)
			}
			return errors.New("roll back")
		})
		var n int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rolled-back transaction left %d job(s)", n)
		}
	})
}

// TestInsertedJobRunsWithoutPolling: a job inserted with a change is picked up through
// the queue's notifications (on SQLite, the notification table read after the commit),
// not only by the periodic fetch, which here never comes.
func TestInsertedJobRunsWithoutPolling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := &echoWorker{attempts: new(atomic.Int32), done: make(chan string, 3)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q, err := jobs.New(d, jobs.Options{Workers: workers, FetchPollInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)
		// One insert: River notifies at most once per fetch cooldown and leaves later
		// inserts within it to the next fetch.
		insert(t, d, q, "notified")
		wait(t, w.done, "notified")
	})
}
