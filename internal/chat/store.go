package chat

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
)

// Store holds the chat tables. Every query that touches a user's rows is scoped by the
// owner's id as well as the row's id, so another user's ids behave as missing.
type Store struct {
	db  *db.DB
	now func() time.Time
	// writes counts write statements and transactions, txs the transactions among them
	// (for the benchmark of writes per reply).
	writes, txs atomic.Int64
	// ledger, when set, takes part in the transactions that begin, save and end replies:
	// reservations are made, progressed and settled with the reply's own state.
	ledger Ledger
	// enqueue, when set, inserts a job in tx (the title job of a first exchange).
	enqueue func(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
	// instance identifies this process on the replies it generates (see Service.Recover).
	instance string
	// notes sends reply notifications to other instances (PostgreSQL).
	notes replyNotifier
}

// NewStore returns a store on d; now is the clock (time.Now when nil).
func NewStore(d *db.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: d, now: now}
}

// Writes returns how many write transactions or statements the store has issued.
func (s *Store) Writes() int64 { return s.writes.Load() }

// WriteTransactions returns how many of those writes were transactions.
func (s *Store) WriteTransactions() int64 { return s.txs.Load() }

// tx runs fn in a write transaction and counts it.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.writes.Add(1)
	s.txs.Add(1)
	return s.db.Tx(ctx, fn)
}

// exec runs one write statement as its own transaction and returns the rows it changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	s.writes.Add(1)
	return s.db.Exec(ctx, query, args...)
}

// execer runs a statement: the database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// TokenTotals are token counts of one or several model calls.
type TokenTotals struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
}

func (t TokenTotals) add(u TokenTotals) TokenTotals {
	return TokenTotals{t.InputTokens + u.InputTokens, t.OutputTokens + u.OutputTokens,
		t.CacheReadTokens + u.CacheReadTokens, t.CacheWriteTokens + u.CacheWriteTokens}
}
