package tasks_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// The dispatch benchmark's shape: 100,000 tasks of 1,000 users, a tenth of them due in
// the same minute (a daily task at the same wall time, as "08:00" is for many users).
const (
	benchUsers        = 1000
	benchTasksPerUser = 100
	benchDueEvery     = 10 // every tenth task is due
	benchSeedBatch    = 500
)

// BenchmarkDispatch seeds 100,000 tasks, 10,000 of them due at the same instant, on a real
// instance (River workers, chat, the fake model answering at once), sweeps once at the
// due time and waits for every run. It reports the dispatch lag (run start minus
// scheduled_for, in real time since the tasks became due) at p50/p99/max, the sweep's wall
// time per due task while the workers run, the time until all runs succeeded, and, on a
// second set of 10,000 swept with the workers stopped, the sweep's wall and CPU time per
// due task alone. It fails on any missed or doubled run. Run it with -benchtime 1x.
func BenchmarkDispatch(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchDispatch(b, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(b.TempDir(), "ally.db")}})
	})
	b.Run("postgres", func(b *testing.B) {
		url := dbtest.PostgresURL()
		if url == "" {
			b.Skip("ALLY_TEST_POSTGRES_URL is not set")
		}
		benchDispatch(b, dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(b, url)}})
	})
}

func benchDispatch(b *testing.B, tg dbtest.Target) {
	ctx := context.Background()
	// The fake answers at once and keeps no copy of the 10,000 requests.
	fake := llmtest.New(llmtest.Options{})
	hs := httptest.NewServer(fake)
	b.Cleanup(hs.Close)
	fake.URL = hs.URL
	s := apptest.Start(b, tg, apptest.Options{Env: env(fake, "ALLY_LOG_LEVEL", "warn")})
	// The benchmark sweeps itself, at the moment the tasks are due.
	if err := s.Tasks.Stop(ctx); err != nil {
		b.Fatal(err)
	}

	due := time.Now().Add(6 * time.Hour).UTC().Truncate(time.Minute)
	seedStart := time.Now()
	seedTasks(b, s, due)
	b.Logf("%s: seeded %d tasks (%d due at %s) in %s", tg.Dialect, benchUsers*benchTasksPerUser,
		benchUsers*benchTasksPerUser/benchDueEvery, due.Format(time.RFC3339), time.Since(seedStart).Round(time.Millisecond))
	want := benchUsers * benchTasksPerUser / benchDueEvery

	// From now on the service's clock reads the due time plus the real time since t0, so
	// the tasks became due at t0 and started_at - scheduled_for is real time since then.
	b.ResetTimer()
	t0 := time.Now()
	offset := due.Sub(t0)
	s.Tasks.SetClock(func() time.Time { return time.Now().Add(offset) })
	n, err := s.Tasks.Sweep(ctx)
	sweepWall := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	if n != want {
		b.Fatalf("the sweep recorded %d runs, want %d", n, want)
	}

	deadline := time.Now().Add(15 * time.Minute)
	for benchCount(b, s, `SELECT COUNT(*) FROM task_runs WHERE status IN ('queued', 'running')`) > 0 {
		if time.Now().After(deadline) {
			b.Fatalf("runs did not finish in 15 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.StopTimer()

	// No missed and no doubled run: exactly one succeeded run per due task, none for the
	// others, and one reply in each due task's conversation.
	checks := []struct {
		what string
		q    string
		want int
	}{
		{"runs", `SELECT COUNT(*) FROM task_runs`, want},
		{"succeeded runs", `SELECT COUNT(*) FROM task_runs WHERE status = 'succeeded' AND started_at IS NOT NULL`, want},
		{"due tasks with one run", `SELECT COUNT(*) FROM (SELECT task_id FROM task_runs r JOIN tasks t ON t.id = r.task_id
			WHERE t.title = 'due' GROUP BY task_id HAVING COUNT(*) = 1) x`, want},
		{"due tasks with one reply", `SELECT COUNT(*) FROM tasks t WHERE t.title = 'due' AND (SELECT COUNT(*) FROM messages m
			WHERE m.conversation_id = t.conversation_id AND m.role = 'assistant' AND m.status = 'complete') = 1`, want},
		{"replies", `SELECT COUNT(*) FROM messages WHERE role = 'assistant'`, want},
	}
	for _, c := range checks {
		if got := benchCount(b, s, c.q); got != c.want {
			b.Fatalf("%s: %d, want %d", c.what, got, c.want)
		}
	}

	var lags []float64
	var last int64
	rows, err := s.DB.R.QueryContext(ctx, `SELECT scheduled_for, started_at, finished_at FROM task_runs`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var sched, started, finished int64
		if err := rows.Scan(&sched, &started, &finished); err != nil {
			b.Fatal(err)
		}
		lags = append(lags, float64(started-sched)/1000)
		last = max(last, finished-sched)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lags)
	p50, p99, worst := lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1]
	allDone := time.Duration(last) * time.Millisecond

	alone, aloneCPU := sweepAlone(b, s, due.Add(time.Hour), want)

	perDue := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(want) }
	b.ReportMetric(p50, "lag-p50-s")
	b.ReportMetric(p99, "lag-p99-s")
	b.ReportMetric(worst, "lag-max-s")
	b.ReportMetric(allDone.Seconds(), "all-succeeded-s")
	b.ReportMetric(float64(want)/allDone.Seconds(), "runs/s")
	b.ReportMetric(perDue(sweepWall), "sweep-µs/due")
	b.ReportMetric(perDue(alone), "sweep-alone-µs/due")
	b.ReportMetric(perDue(aloneCPU), "sweep-alone-cpu-µs/due")
	b.ReportMetric(0, "ns/op")
	b.Logf("%s: lag p50 %.2fs p99 %.2fs max %.2fs; all %d succeeded after %s (%.0f runs/s); sweep %s while working (%.0f µs/due), %s alone (%.0f µs/due, CPU %.0f µs/due)",
		tg.Dialect, p50, p99, worst, want, allDone.Round(time.Millisecond), float64(want)/allDone.Seconds(),
		sweepWall.Round(time.Millisecond), perDue(sweepWall), alone.Round(time.Millisecond), perDue(alone), perDue(aloneCPU))
}

// sweepAlone stops the job workers, makes another set of tasks due at at and times one
// sweep of them: wall time and this process's CPU time (the database's own, on
// PostgreSQL, is not in it).
func sweepAlone(b *testing.B, s *apptest.Server, at time.Time, want int) (wall, cpu time.Duration) {
	ctx := context.Background()
	if err := s.Jobs.Stop(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB.Exec(ctx, `UPDATE tasks SET next_run_at = $1 WHERE title = 'next'`, db.Millis(at)); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	offset := at.Sub(t0)
	s.Tasks.SetClock(func() time.Time { return time.Now().Add(offset) })
	c0 := cpuTime(b)
	n, err := s.Tasks.Sweep(ctx)
	wall, cpu = time.Since(t0), cpuTime(b)-c0
	if err != nil {
		b.Fatal(err)
	}
	if n != want {
		b.Fatalf("the second sweep recorded %d runs, want %d", n, want)
	}
	return wall, cpu
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchCount(b *testing.B, s *apptest.Server, q string) int {
	b.Helper()
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		b.Fatalf("%s: %v", q, err)
	}
	return n
}

// seedTasks creates the users through auth, then their conversations and daily tasks
// with multi-row inserts, one transaction per batch. Due tasks are titled "due" and due
// at due; a second tenth, titled "next", is the set sweepAlone uses; the rest are due
// over the following day.
func seedTasks(b *testing.B, s *apptest.Server, due time.Time) {
	ctx := context.Background()
	users := make([]string, benchUsers)
	for i := range users {
		u, err := s.Auth.CreateUser(ctx, auth.NewUser{Email: fmt.Sprintf("bench-%d@example.com", i), Name: "Bench User", Verified: true})
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
	}
	now := db.Millis(time.Now())
	total := benchUsers * benchTasksPerUser
	for start := 0; start < total; start += benchSeedBatch {
		var convs, tasks strings.Builder
		var cargs, targs []any
		for i := start; i < min(start+benchSeedBatch, total); i++ {
			uid := users[i/benchTasksPerUser]
			conv, id := rand.Text(), rand.Text()
			title, at := "later", due.Add(2*time.Hour+time.Duration(i)*time.Second)
			switch i % benchDueEvery {
			case 0:
				title, at = "due", due
			case 1:
				title = "next"
			}
			if len(cargs) > 0 {
				convs.WriteString(", ")
				tasks.WriteString(", ")
			}
			n := len(cargs)
			fmt.Fprintf(&convs, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			cargs = append(cargs, conv, uid, title, now, now)
			n = len(targs)
			fmt.Fprintf(&tasks, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
			sched := fmt.Sprintf(`{"kind":"daily","time":"%s"}`, at.Format("15:04"))
			targs = append(targs, id, uid, title, "Summarise my day", sched, "UTC", "in_app", conv, db.Millis(at), now, now)
		}
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES `+convs.String(), cargs...); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO tasks (id, user_id, title, instruction, schedule, timezone, channels,
				conversation_id, next_run_at, created_at, updated_at) VALUES `+tasks.String(), targs...)
			return err
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}
