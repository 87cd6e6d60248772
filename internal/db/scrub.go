package db

import (
	"context"
	"fmt"
	"strings"
)

// Deleted rows must be gone from the database's files, not only from its answers (the
// privacy policy's "permanently erased"). On SQLite every connection runs with
// secure_delete, so a deleted row's bytes are overwritten with zeros in the page that
// held it and freed pages are zeroed; but the write-ahead log still holds the earlier
// images of those pages until it is checkpointed and truncated. PostgreSQL keeps dead
// row versions in the table until VACUUM removes them, and its statistics keep sampled
// values until ANALYZE replaces them.

// ScrubDeleted removes from the database's files what remains of rows just deleted from
// tables: on SQLite it drops the tables' sampled index keys (sqlite_stat4, written only
// by a full ANALYZE), then checkpoints the write-ahead log into the database and
// truncates it; on PostgreSQL it runs VACUUM (ANALYZE) on the tables. Table names come
// from the code, never from input. It waits for reads in progress (up to the busy
// timeout on SQLite) and fails when they keep it from finishing; the caller tries again
// later.
func (db *DB) ScrubDeleted(ctx context.Context, tables ...string) error {
	if len(tables) == 0 {
		return nil
	}
	if db.Dialect == Postgres {
		// VACUUM cannot run inside a transaction: it runs on the pool, one statement.
		if _, err := db.W.ExecContext(ctx, `VACUUM (ANALYZE) `+strings.Join(tables, ", ")); err != nil {
			return fmt.Errorf("db: vacuum: %w", err)
		}
		return nil
	}
	if err := db.dropSamples(ctx, tables); err != nil {
		return err
	}
	return db.checkpoint(ctx)
}

// dropSamples deletes sqlite_stat4's sampled keys of tables, when the table exists.
func (db *DB) dropSamples(ctx context.Context, tables []string) error {
	var n int
	if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'`).Scan(&n); err != nil {
		return fmt.Errorf("db: look for sqlite_stat4: %w", err)
	}
	if n == 0 {
		return nil
	}
	params := make([]string, len(tables))
	args := make([]any, len(tables))
	for i, t := range tables {
		params[i] = fmt.Sprintf("$%d", i+1)
		args[i] = t
	}
	if _, err := db.Exec(ctx, `DELETE FROM sqlite_stat4 WHERE tbl IN (`+strings.Join(params, ", ")+`)`, args...); err != nil {
		return fmt.Errorf("db: drop sampled keys: %w", err)
	}
	return nil
}

// checkpoint copies every frame of the write-ahead log into the database and truncates
// the log to zero bytes, so no earlier image of a page survives in it.
func (db *DB) checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	if err := db.W.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("db: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("db: checkpoint: reads in progress kept the log from being truncated (%d of %d frames copied)", done, logFrames)
	}
	return nil
}
