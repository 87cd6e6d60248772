// Package dbtest runs storage tests on every database Ally supports: SQLite always, and
// PostgreSQL as well when ALLY_TEST_POSTGRES_URL is set (CI sets it). Each test gets its own
// migrated database: a temporary SQLite file, or a fresh PostgreSQL schema dropped after.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
)

// PostgresURL is the PostgreSQL server used by tests, or "" to test on SQLite only.
func PostgresURL() string { return os.Getenv("ALLY_TEST_POSTGRES_URL") }

// Target describes one database a test runs on.
type Target struct {
	Dialect db.Dialect
	// Options opens this target's database again (another "instance" on the same data).
	Options db.Options
}

// Each runs fn as a subtest on SQLite and, when configured, on PostgreSQL, each time with a
// freshly migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	EachTarget(t, func(t *testing.T, tg Target) {
		fn(t, Open(t, tg))
	})
}

// EachTarget is Each for tests that open the database themselves (e.g. to restart an app).
func EachTarget(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(t.TempDir(), "ally.db")}})
	})
	if url := PostgresURL(); url != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: NewSchema(t, url)}})
		})
	}
}

// NewSchema creates an empty PostgreSQL schema for one test and drops it when the test ends.
func NewSchema(t testing.TB, url string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	admin, err := db.Open(ctx, db.Options{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatalf("dbtest: connect to ALLY_TEST_POSTGRES_URL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.W.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := db.Open(context.Background(), db.Options{URL: url, MaxConns: 2})
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.W.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return schema
}

// Open opens and migrates the target's database (Ally's schema and the job queue's),
// closing it when the test ends.
func Open(t testing.TB, tg Target) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, tg.Options)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", tg.Dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("dbtest: migrate %s: %v", tg.Dialect, err)
	}
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatalf("dbtest: migrate jobs on %s: %v", tg.Dialect, err)
	}
	return d
}
