package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Group commit. SQLite has one writer and every commit waits for the disk (synchronous=
// FULL), so under load transactions would queue behind each other's fsync. Instead one
// committer goroutine takes every write waiting at that moment and runs them in a single
// transaction, each inside its own savepoint: one that fails is rolled back alone, the
// rest commit together with one fsync. Alone, a write is an ordinary transaction.

// maxGroup caps how many writes share one commit, bounding the latency of the first.
const maxGroup = 64

type writeReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// errClosed is returned by Tx after Close.
var errClosed = errors.New("db: closed")

func (db *DB) startCommitter() {
	db.writeq = make(chan *writeReq)
	db.stop = make(chan struct{})
	db.stopped = make(chan struct{})
	go db.commitLoop()
}

func (db *DB) commitLoop() {
	defer close(db.stopped)
	for {
		var first *writeReq
		select {
		case first = <-db.writeq:
		case <-db.stop:
			return
		}
		group := []*writeReq{first}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-db.writeq:
				group = append(group, r)
			default:
				break gather
			}
		}
		errs := db.commitGroup(group)
		for i, r := range group {
			r.done <- errs[i]
		}
	}
}

// commitGroup runs a group of writes in one transaction and returns each one's outcome.
func (db *DB) commitGroup(group []*writeReq) []error {
	out := make([]error, len(group))
	fail := func(err error) []error {
		for i := range out {
			if out[i] == nil {
				out[i] = err
			}
		}
		return out
	}
	if len(group) == 1 {
		out[0] = db.txDirect(group[0].ctx, func(tx *sql.Tx) error { return call(group[0].fn, tx) })
		return out
	}
	tx, err := db.W.BeginTx(context.Background(), nil)
	if err != nil {
		return fail(fmt.Errorf("db: begin: %w", err))
	}
	ok := 0
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			out[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
			_ = tx.Rollback()
			return fail(fmt.Errorf("db: savepoint: %w", err))
		}
		if err := call(r.fn, tx); err != nil {
			out[i] = err
			if _, rerr := tx.Exec(`ROLLBACK TO w`); rerr != nil {
				// The whole transaction is gone (e.g. an interrupted statement): nothing
				// in this group was committed.
				_ = tx.Rollback()
				return fail(fmt.Errorf("db: group rolled back: %w", rerr))
			}
		}
		if _, err := tx.Exec(`RELEASE w`); err != nil {
			_ = tx.Rollback()
			return fail(fmt.Errorf("db: group rolled back: %w", err))
		}
		if out[i] == nil {
			ok++
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		return out
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("db: commit: %w", err))
	}
	db.committed()
	return out
}

// txGrouped hands fn to the committer and waits for its outcome.
func (db *DB) txGrouped(ctx context.Context, fn func(*sql.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writeq <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.stop:
		return errClosed
	}
	err := <-r.done
	if p, ok := err.(*panicked); ok {
		panic(p.value) // in the caller's goroutine, as without grouping
	}
	return err
}

// panicked carries a panic out of the committer to the goroutine that asked for the write.
type panicked struct{ value any }

func (p *panicked) Error() string { return fmt.Sprintf("panic in a transaction: %v", p.value) }

// call runs fn, turning a panic into an error so the committer survives it and the
// other writes of its group are unaffected.
func call(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicked{value: v}
		}
	}()
	return fn(tx)
}

// stopCommitter ends the committer once the write it is running, if any, is done.
func (db *DB) stopCommitter() {
	if db.stop == nil {
		return
	}
	db.stopOnce.Do(func() { close(db.stop) })
	<-db.stopped
}

// Exec runs one write statement as its own transaction (sharing a commit with concurrent
// writes on SQLite) and returns the rows it changed. Prefer it to W.ExecContext on hot
// paths.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
