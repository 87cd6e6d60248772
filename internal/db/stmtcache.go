package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"sync"

	"modernc.org/sqlite"
)

// SQLite's driver prepares (parses and plans) every statement anew on each call made
// through database/sql, then throws the plan away. The connector below keeps the
// prepared statements of each connection, keyed by their text, so a query that runs on
// every turn is parsed once per connection. PostgreSQL needs none of this: pgx caches
// prepared statements per connection itself.

// stmtCacheSize bounds the statements kept per connection. Queries built with a
// variable number of placeholders (IN lists) make new texts; past the bound, the cache
// is emptied and fills again with what is used.
const stmtCacheSize = 256

// sqliteConnector opens modernc connections that cache their prepared statements.
type sqliteConnector struct {
	dsn string
	drv *sqlite.Driver
}

var sqliteDriver = &sqlite.Driver{}

func newSQLiteConnector(dsn string) driver.Connector {
	return &sqliteConnector{dsn: dsn, drv: sqliteDriver}
}

func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: conn.(sqliteConn), stmts: make(map[string]*cachedStmt)}, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what modernc's connection implements and the cache passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteStmt is what modernc's statement implements.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachingConn is one SQLite connection with its statement cache. database/sql uses a
// connection from one goroutine at a time, so the cache needs no lock of its own; the
// mutex only guards the busy flags that a Rows' Close (which may come later, from the
// caller's goroutine, while the connection is not otherwise in use) clears.
type cachingConn struct {
	inner sqliteConn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement; busy while a Rows read from it is open (a second
// use of the same text meanwhile prepares a statement of its own).
type cachedStmt struct {
	s    sqliteStmt
	busy bool
}

var _ sqliteConn = (*cachingConn)(nil)

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.inner.Prepare(query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) { //nolint:staticcheck // required by driver.Conn
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

func (c *cachingConn) IsValid() bool { return c.inner.IsValid() }

func (c *cachingConn) Close() error {
	c.mu.Lock()
	var err error
	for q, st := range c.stmts {
		err = errors.Join(err, st.s.Close())
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return errors.Join(err, c.inner.Close())
}

// take returns a prepared statement for query: the cached one if it is free, else a new
// one (kept when there is room). done must be called when the statement is no longer in
// use; it closes a statement that is not kept.
func (c *cachingConn) take(ctx context.Context, query string) (sqliteStmt, func(), error) {
	c.mu.Lock()
	st, ok := c.stmts[query]
	if ok && !st.busy {
		st.busy = true
		c.mu.Unlock()
		return st.s, func() { c.release(st) }, nil
	}
	c.mu.Unlock()
	ds, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	s, isStmt := ds.(sqliteStmt)
	if !isStmt {
		_ = ds.Close()
		return nil, nil, driver.ErrSkip
	}
	if ok { // the cached one is in use: this one is for this call only
		return s, func() { _ = s.Close() }, nil
	}
	c.mu.Lock()
	if len(c.stmts) >= stmtCacheSize {
		for q, old := range c.stmts {
			if !old.busy {
				_ = old.s.Close()
				delete(c.stmts, q)
			}
		}
	}
	st = &cachedStmt{s: s, busy: true}
	c.stmts[query] = st
	c.mu.Unlock()
	return s, func() { c.release(st) }, nil
}

func (c *cachingConn) release(st *cachedStmt) {
	c.mu.Lock()
	st.busy = false
	c.mu.Unlock()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, done, err := c.take(ctx, query)
	if errors.Is(err, driver.ErrSkip) {
		return c.inner.ExecContext(ctx, query, args)
	}
	if err != nil {
		return nil, err
	}
	defer done()
	return s.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, done, err := c.take(ctx, query)
	if errors.Is(err, driver.ErrSkip) {
		return c.inner.QueryContext(ctx, query, args)
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, args)
	if err != nil {
		done()
		return nil, err
	}
	return &releasingRows{Rows: rows, done: done}, nil
}

// releasingRows frees its statement for the next use when it is closed.
type releasingRows struct {
	driver.Rows
	once sync.Once
	done func()
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.done)
	return err
}

// The optional Rows interfaces database/sql looks for, passed on.

func (r *releasingRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *releasingRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *releasingRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
