package db_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestScrubDeleted: after rows are deleted and scrubbed, SQLite's write-ahead log is
// empty (no earlier page image survives in it) and PostgreSQL has vacuumed and analyzed
// the table; SQLite's sampled index keys (written by a full ANALYZE) of the table are
// gone; a scrub of no tables does nothing.
func TestScrubDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, id := range []string{"a", "b", "c"} {
			if err := d.Tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, id) }); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.W.ExecContext(ctx, `ANALYZE`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `DELETE FROM users WHERE id <> 'a'`); err != nil {
			t.Fatal(err)
		}
		if err := d.ScrubDeleted(ctx); err != nil {
			t.Fatalf("scrub of no tables: %v", err)
		}
		if err := d.ScrubDeleted(ctx, "users"); err != nil {
			t.Fatal(err)
		}
		if d.Dialect == db.Postgres {
			var vacuumed bool
			if err := d.R.QueryRow(`SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables
				WHERE schemaname = current_schema() AND relname = 'users'`).Scan(&vacuumed); err != nil || !vacuumed {
				t.Fatalf("users not vacuumed and analyzed: %v", err)
			}
			return
		}
		fi, err := os.Stat(d.Path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != 0 {
			t.Fatalf("write-ahead log holds %d bytes after the scrub", fi.Size())
		}
		var samples int
		if err := d.R.QueryRow(`SELECT COUNT(*) FROM sqlite_stat4 WHERE tbl = 'users'`).Scan(&samples); err != nil || samples != 0 {
			t.Fatalf("%d sampled keys of users after the scrub (%v)", samples, err)
		}
		if n := countUsers(t, d); n != 1 {
			t.Fatalf("%d users after the scrub, want 1", n)
		}
	})
}
