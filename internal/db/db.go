// Package db opens Ally's database — SQLite by default, PostgreSQL for scale-out — and
// holds the few differences between them. Queries are written once, with $1-style
// placeholders, which both drivers accept. Times are stored as BIGINT unix milliseconds
// so comparisons and ordering behave identically on both.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the database engine in use.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. On SQLite, W is a single-connection pool that serialises writes
// (every write transaction starts with BEGIN IMMEDIATE) and R is a pool of read-only
// connections; on PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	W       *sql.DB
	R       *sql.DB
	// Pool is the pgx pool behind W and R on PostgreSQL (nil on SQLite); the job queue and
	// LISTEN/NOTIFY use it directly.
	Pool *pgxpool.Pool
	// Path is the SQLite file (empty on PostgreSQL).
	Path string

	// writes counts committed write transactions (served on /metrics; benchmarks read it).
	writes atomic.Int64
	// afterWrite, when set, runs after each committed write transaction (AfterWrite).
	afterWrite atomic.Pointer[func()]

	// The SQLite group committer (group.go).
	writeq   chan *writeReq
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
}

// AfterWrite sets fn to run after each write transaction that Tx commits (the job
// queue's SQLite listener reads new notifications then, rather than polling for them).
func (db *DB) AfterWrite(fn func()) { db.afterWrite.Store(&fn) }

func (db *DB) committed() {
	db.writes.Add(1)
	if fn := db.afterWrite.Load(); fn != nil {
		(*fn)()
	}
}

// WriteTransactions returns how many write transactions Tx has committed.
func (db *DB) WriteTransactions() int64 { return db.writes.Load() }

// Options selects and tunes the database.
type Options struct {
	// URL is a postgres:// URL; empty selects SQLite at Path.
	URL string
	// Path is the SQLite database file.
	Path string
	// Schema, on PostgreSQL, is put first on the search path (tests use one per test).
	Schema string
	// MaxConns caps the PostgreSQL pool (default: pool_max_conns in URL, else
	// DefaultPoolMaxConns).
	MaxConns int32
}

// DefaultPoolMaxConns is the PostgreSQL pool's size when the URL sets no pool_max_conns.
// pgx's own default (the larger of 4 and the number of CPUs) leaves a few connections for
// every concurrent reply, the job queue and its LISTEN, so that on a small machine turns
// queue for a connection while the database is idle (docs/operations.md).
const DefaultPoolMaxConns = 16

// Open opens the database; it does not migrate it.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.URL != "" {
		return openPostgres(ctx, o)
	}
	return openSQLite(ctx, o.Path)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("db: create directory: %w", err)
		}
	}
	// busy_timeout comes first so that even the other pragmas wait rather than fail.
	// secure_delete overwrites deleted rows and freed pages with zeros, so a purged
	// account's bytes do not linger in the file (scrub.go).
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=secure_delete(1)"
	w := sql.OpenDB(newSQLiteConnector("file:" + path + "?" + pragmas + "&_txlock=immediate"))
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
	}
	r := sql.OpenDB(newSQLiteConnector("file:" + path + "?" + pragmas + "&_pragma=query_only(1)"))
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &DB{Dialect: SQLite, W: w, R: r, Path: path}
	d.startCommitter()
	return d, nil
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("db: parse ALLY_DATABASE_URL: %w", err)
	}
	if o.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = o.Schema
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	} else if !strings.Contains(o.URL, "pool_max_conns=") {
		cfg.MaxConns = DefaultPoolMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect postgres: %w", err)
	}
	sdb := stdlib.OpenDBFromPool(pool)
	return &DB{Dialect: Postgres, W: sdb, R: sdb, Pool: pool}, nil
}

// Close closes every pool.
func (db *DB) Close() error {
	db.stopCommitter()
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx runs fn in a write transaction and commits it when fn returns nil; when fn returns an
// error, none of its writes remain. On SQLite the transaction takes the write lock up
// front (BEGIN IMMEDIATE), so it never fails half-way with SQLITE_BUSY, and concurrent
// calls share one commit (group.go). fn must use tx only: the writer pool has one
// connection.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.writeq != nil {
		return db.txGrouped(ctx, fn)
	}
	return db.txDirect(ctx, fn)
}

func (db *DB) txDirect(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback() // never leave the connection inside a transaction
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	db.committed()
	return nil
}

// IsUniqueViolation reports whether err is a unique or primary key constraint failure.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsBusy reports whether err is SQLite's "database is locked" (which Ally's pools are
// built never to produce).
func IsBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED
	}
	return err != nil && strings.Contains(err.Error(), "SQLITE_BUSY")
}

// Millis converts a time to the stored representation.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Time converts a stored value back; 0 is the zero time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// NullTime converts a nullable stored value; NULL is the zero time.
func NullTime(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return Time(ms.Int64)
}

// NullMillis converts a time to a nullable stored value; the zero time is NULL.
func NullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// RowsWritten returns how many rows have been inserted, updated or deleted: on SQLite by
// this process's writer connection since it opened (all writes go through it), on
// PostgreSQL in the current schema by every instance, as PostgreSQL's statistics report
// them (they lag by up to a second).
func (db *DB) RowsWritten(ctx context.Context) (int64, error) {
	var n int64
	q := `SELECT total_changes()`
	if db.Dialect == Postgres {
		q = `SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = current_schema()`
	}
	err := db.W.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}
