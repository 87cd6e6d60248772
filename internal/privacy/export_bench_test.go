package privacy_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/privacy"
)

// BenchmarkExport exports accounts of 10,000 and 100,000 messages (a tool step on every
// tenth reply) and reports the peak heap in use, the peak resident set size and its growth
// while the export runs: with rows written as they are read, they stay flat as the account
// grows tenfold.
//
//	go test -run '^$' -bench Export -benchtime 1x ./internal/privacy/
func BenchmarkExport(b *testing.B) {
	targets := []dbtest.Target{{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(b.TempDir(), "ally.db")}}}
	if url := dbtest.PostgresURL(); url != "" {
		targets = append(targets, dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(b, url)}})
	}
	for _, tg := range targets {
		d := dbtest.Open(b, tg)
		s, err := privacy.New(privacy.Deps{Config: config.Config{DeletionGrace: time.Hour}, DB: d})
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{10_000, 100_000} {
			user := fmt.Sprintf("bench-%d", n)
			seedMessages(b, d, user, n)
			b.Run(fmt.Sprintf("%s/messages=%d", tg.Dialect, n), func(b *testing.B) {
				var bytes int64
				var peakHeap, peakRSS, startRSS uint64
				for b.Loop() {
					runtime.GC()
					startRSS = rss()
					stop := sampleMemory(&peakHeap, &peakRSS)
					cw := &countingWriter{}
					if err := s.Export(context.Background(), user, cw); err != nil {
						b.Fatal(err)
					}
					stop()
					bytes = cw.n.Load()
				}
				b.ReportMetric(float64(bytes)/(1<<20), "export-MB")
				b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(peakRSS)/(1<<20), "peak-RSS-MB")
				b.ReportMetric((float64(peakRSS)-float64(startRSS))/(1<<20), "RSS-growth-MB")
			})
		}
	}
}

type countingWriter struct{ n atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// sampleMemory records the peak heap in use and resident set size until stop is called.
func sampleMemory(peakHeap, peakRSS *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		*peakHeap = max(*peakHeap, ms.HeapInuse)
		*peakRSS = max(*peakRSS, rss())
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// rss reads the resident set size of this process (Linux; 0 elsewhere).
func rss() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// seedMessages gives a user n messages of about 400 bytes in conversations of 500.
func seedMessages(b *testing.B, d *db.DB, user string, n int) {
	b.Helper()
	ctx := context.Background()
	text := strings.Repeat("All work and no play makes a long conversation. ", 8)
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, created_at, updated_at) VALUES ($1, $2, 'Bench', 0, 0)`, user, user+"@example.com"); err != nil {
			return err
		}
		conv := ""
		for i := range n {
			if i%500 == 0 {
				conv = fmt.Sprintf("%s-c%d", user, i/500)
				if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, 'Bench', $3, $3)`, conv, user, i); err != nil {
					return err
				}
			}
			id := fmt.Sprintf("%s-m%d", user, i)
			role := []string{"user", "assistant"}[i%2]
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'complete', $7, $7)`, id, conv, user, i, role, text, 1_700_000_000_000+int64(i)); err != nil {
				return err
			}
			if i%20 == 1 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO message_steps (id, message_id, user_id, seq, round, text_offset, tool_call_id, tool_name, input, result, created_at)
					VALUES ($1, $2, $3, 1, 1, 0, 'call', 'memory', '{"command":"view","path":"/memories"}', 'Directory: /memories', 0)`, id+"-s", id, user); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
