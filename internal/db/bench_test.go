//go:build unix

package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// BenchmarkWriteMessages measures the cost of secure_delete (on in production) on the
// SQLite write path: each op is what a reply does to its rows through the group
// committer (insert a message of about 1.5 KB, rewrite it grown by 500 bytes as a
// streaming reply's text is saved) plus the deletion of an older message, so the table
// stays at 2,000 rows. "serial" runs one writer; "parallel" runs 8 per core, so writes
// share commits as under load. sync=full is production (every commit waits for the
// disk); sync=off leaves the disk wait out, so the zeroing's own cost shows. The off
// case turns the pragma off on the writer connection, the only one that writes.
//
// Besides wall time, which a shared machine makes noisy, it reports the process's CPU
// time per op and the pages each op appends to the write-ahead log (automatic
// checkpoints are off while it measures, so the log only grows): the extra work and the
// extra I/O of zeroing.
func BenchmarkWriteMessages(b *testing.B) {
	for _, par := range []string{"serial", "parallel"} {
		for _, sync := range []string{"full", "off"} {
			for _, secure := range []string{"on", "off"} {
				b.Run(par+"/sync="+sync+"/secure_delete="+secure, func(b *testing.B) {
					benchWriteMessages(b, secure == "on", sync == "full", par == "parallel")
				})
			}
		}
	}
}

func benchWriteMessages(b *testing.B, secure, durable, parallel bool) {
	ctx := context.Background()
	d := dbtest.Open(b, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(b.TempDir(), "ally.db")}})
	if !secure {
		if _, err := d.W.ExecContext(ctx, `PRAGMA secure_delete = OFF`); err != nil {
			b.Fatal(err)
		}
	}
	if !durable {
		if _, err := d.W.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
			b.Fatal(err)
		}
	}
	var on int
	if err := d.W.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&on); err != nil || (on == 1) != secure {
		b.Fatalf("secure_delete = %d (%v), want %v", on, err, secure)
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('u', 'u@example.com', 'U', 0, 0);
		INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES ('c', 'u', 0, 0)`); err != nil {
		b.Fatal(err)
	}
	const live = 2000
	body := strings.Repeat("a reply of ordinary length, ", 55) // ~1.5 KB
	more := strings.Repeat("and more text ", 36)               // ~500 B
	var seq atomic.Int64
	write := func() error {
		n := seq.Add(1)
		id := fmt.Sprintf("m%d", n)
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
				VALUES ($1, 'c', 'u', $2, 'assistant', $3, 'streaming', $2, $2)`, id, n, body)
			return err
		})
		if err != nil {
			return err
		}
		if _, err := d.Exec(ctx, `UPDATE messages SET content = content || $1, status = 'complete' WHERE id = $2`, more, id); err != nil {
			return err
		}
		if n > live {
			_, err = d.Exec(ctx, `DELETE FROM messages WHERE id = $1`, fmt.Sprintf("m%d", n-live))
		}
		return err
	}
	for range live {
		if err := write(); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := d.W.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	if _, err := d.W.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime(b)
	b.ResetTimer()
	if !parallel {
		for b.Loop() {
			if err := write(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := write(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	fi, err := os.Stat(d.Path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	const frame = 4096 + 24 // page size and frame header
	b.ReportMetric(float64(fi.Size()/frame)/float64(b.N), "wal-pages/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
