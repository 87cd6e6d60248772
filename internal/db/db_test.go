package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

func insertUser(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		id, id+"@example.com", "User "+id, 1)
	return err
}

func countUsers(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentWriters proves the write path never fails with "database is locked": 50
// writers at once, each in its own transaction, all succeed.
func TestConcurrentWriters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const writers = 50
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Readers run alongside the writers, as in production.
				if _, err := d.R.ExecContext(ctx, `SELECT COUNT(*) FROM users`); err != nil {
					errc <- err
					return
				}
				errc <- d.Tx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
						return err
					}
					return insertUser(ctx, tx, fmt.Sprintf("w%02d", i))
				})
			}()
		}
		wg.Wait()
		close(errc)
		busy, failed := 0, 0
		for err := range errc {
			if err != nil {
				failed++
				if db.IsBusy(err) {
					busy++
				}
				t.Log(err)
			}
		}
		if busy != 0 || failed != 0 {
			t.Fatalf("%d of %d writers failed (%d with SQLITE_BUSY)", failed, writers, busy)
		}
		if n := countUsers(t, d); n != writers {
			t.Fatalf("want %d rows, got %d", writers, n)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if err := insertUser(ctx, tx, "a"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want the function's error back, got %v", err)
		}
		if n := countUsers(t, d); n != 0 {
			t.Fatalf("rolled-back insert is visible: %d rows", n)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		insert := func() error { return d.Tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, "dup") }) }
		if err := insert(); err != nil {
			t.Fatal(err)
		}
		if err := insert(); !db.IsUniqueViolation(err) {
			t.Fatalf("want a unique violation, got %v", err)
		}
	})
}

func TestMigrateIsIdempotentAndAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n, err := d.Migrate(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d (err %v); want 0", n, err)
		}
		pending, err := d.Pending(context.Background())
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending after migrate: %v %v", pending, err)
		}
	})
}

// TestMigrationsMatchAcrossDialects keeps the two schema histories in step: the same
// numbered files exist for SQLite and PostgreSQL.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := db.Migrations(db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := db.Migrations(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []db.Migration) (out []string) {
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
		return out
	}
	if fmt.Sprint(names(lite)) != fmt.Sprint(names(pg)) {
		t.Fatalf("migrations differ:\nsqlite:   %v\npostgres: %v", names(lite), names(pg))
	}
}

func TestSQLitePragmas(t *testing.T) {
	d, err := db.Open(context.Background(), db.Options{Path: filepath.Join(t.TempDir(), "ally.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "10000"},
		{"secure_delete", "1"}, // deleted rows are overwritten with zeros
	} {
		for pool, conn := range map[string]*sql.DB{"writer": d.W, "readers": d.R} {
			var got string
			if err := conn.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", pool, tc.pragma, got, tc.want)
			}
		}
	}
	if _, err := d.R.Exec(`CREATE TABLE x (a INTEGER)`); err == nil {
		t.Error("reader pool accepted a write; it must be read-only")
	}
}

// TestConcurrentWritersFailAlone: when writes share a commit, one that fails leaves no
// trace and takes none of the others down.
func TestConcurrentWritersFailAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, "taken") }); err != nil {
			t.Fatal(err)
		}
		const writers = 60
		var wg sync.WaitGroup
		results := make([]error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = d.Tx(ctx, func(tx *sql.Tx) error {
					if err := insertUser(ctx, tx, fmt.Sprintf("g%02d", i)); err != nil {
						return err
					}
					switch i % 3 {
					case 1: // fails after writing
						return errors.New("changed my mind")
					case 2: // fails on a constraint after writing
						return insertUser(ctx, tx, "taken")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		want := 1
		for i, err := range results {
			if (i%3 == 0) != (err == nil) {
				t.Errorf("writer %d: got %v", i, err)
			}
			if i%3 == 0 {
				want++
			}
			var n int
			_ = d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, fmt.Sprintf("g%02d", i)).Scan(&n)
			if (n == 1) != (i%3 == 0) {
				t.Errorf("writer %d: row present=%v", i, n == 1)
			}
		}
		if n := countUsers(t, d); n != want {
			t.Fatalf("want %d rows, got %d", want, n)
		}
	})
}

// TestPanicInATransaction: a write that panics rolls back, the panic reaches its caller,
// and the database keeps serving writes.
func TestPanicInATransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		func() {
			defer func() {
				if v := recover(); v != "boom" {
					t.Fatalf("recovered %v, want the transaction's panic", v)
				}
			}()
			_ = d.Tx(ctx, func(tx *sql.Tx) error {
				if err := insertUser(ctx, tx, "p"); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, "after") }); err != nil {
			t.Fatalf("write after a panic: %v", err)
		}
		if n := countUsers(t, d); n != 1 {
			t.Fatalf("want only the later row, got %d rows", n)
		}
	})
}
