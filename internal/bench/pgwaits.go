package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgAppName tags the benchmarked server's PostgreSQL connections (application_name), so
// that the wait sampler counts its backends and nobody else's.
const pgAppName = "ally_bench"

// waitSampler counts, every 50 ms, what the server's PostgreSQL backends are doing that
// are not idle: running ("CPU"), waiting for the client inside a transaction
// ("Client:ClientRead", a round trip), or waiting on a lock, the disk or the log.
type waitSampler struct {
	mu      sync.Mutex
	counts  map[string]int
	samples int
	stop    chan struct{}
	done    chan struct{}
}

func startWaitSampler(ctx context.Context, url string, detail bool) *waitSampler {
	w := &waitSampler{counts: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		defer conn.Close(context.Background())
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			rows, err := conn.Query(ctx, `SELECT state, COALESCE(wait_event_type, ''), COALESCE(wait_event, ''),
					regexp_replace(left(query, 40), '\s+', ' ', 'g')
				FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'`, pgAppName)
			if err != nil {
				continue
			}
			w.mu.Lock()
			w.samples++
			for rows.Next() {
				var state, typ, ev, query string
				if rows.Scan(&state, &typ, &ev, &query) != nil {
					continue
				}
				key := typ + ":" + ev
				if typ == "" {
					key = "CPU (running)"
				}
				if state == "idle in transaction" {
					key += " (idle in transaction)"
				}
				w.counts[key]++
				if detail {
					w.counts[key+" after `"+query+"`"]++
				}
			}
			w.mu.Unlock()
			rows.Close()
		}
	}()
	return w
}

// finish stops sampling and returns the average number of busy backends per sample by
// what they were doing, largest first.
func (w *waitSampler) finish() []WaitShare {
	select {
	case <-w.done:
	default:
		close(w.stop)
		<-w.done
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []WaitShare
	for k, n := range w.counts {
		out = append(out, WaitShare{Event: k, Backends: float64(n) / float64(max(1, w.samples))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Backends > out[j].Backends })
	return out
}

// WaitShare is how many of the server's backends were, on average, in one state.
type WaitShare struct {
	Event    string  `json:"event"`
	Backends float64 `json:"backends"`
}

func formatWaits(ws []WaitShare, n int) string {
	var parts []string
	for i, w := range ws {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", w.Event, w.Backends))
	}
	return strings.Join(parts, "; ")
}

// statsKeeper stands in for autovacuum when the PostgreSQL server has it off (as a test
// server may): the benchmark's tables grow from nothing to thousands of rows within
// minutes, and without fresh statistics the planner keeps costing them as empty, with
// plans no production server (autovacuum on, PostgreSQL's default) would run. It then
// analyzes the schema's tables where autovacuum would have: after each phase that adds
// rows. With autovacuum on there is none (nil), and analyze does nothing.
type statsKeeper struct {
	url string // the benchmark schema's URL
}

func newStatsKeeper(ctx context.Context, url string) (*statsKeeper, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var on string
	if err := conn.QueryRow(ctx, `SHOW autovacuum`).Scan(&on); err != nil {
		return nil, err
	}
	if on == "on" {
		return nil, nil
	}
	return &statsKeeper{url: url}, nil
}

// analyze runs ANALYZE on every table of the schema.
func (k *statsKeeper) analyze(ctx context.Context) error {
	if k == nil {
		return nil
	}
	conn, err := pgx.Connect(ctx, k.url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := conn.Exec(ctx, "ANALYZE "+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}
