package memory

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// Authors of a change.
const (
	AuthorAssistant = "assistant"
	AuthorUser      = "user"
)

// Actions a version records.
const (
	ActionCreate = "create"
	ActionEdit   = "edit"
	ActionDelete = "delete"
	ActionRename = "rename"
	ActionRevert = "revert"
)

// FileInfo describes a stored memory file without its content.
type FileInfo struct {
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	UpdatedAt time.Time `json:"updated_at"`
}

// File is a memory file with its content.
type File struct {
	FileInfo
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
}

// txn is one write transaction on a user's tree. Every change goes through it, so every
// change is stored together with its version.
type txn struct {
	ctx    context.Context
	tx     *sql.Tx
	userID string
	author string
	now    time.Time
}

// mutate runs fn in a write transaction holding the user's memory lock, so the quota
// checks inside fn see every concurrent change (SQLite serialises writers already; on
// PostgreSQL a transaction-scoped advisory lock per user does it).
func (s *Service) mutate(ctx context.Context, userID, author string, fn func(t *txn) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect == db.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "memory:"+userID); err != nil {
				return fmt.Errorf("memory: lock: %w", err)
			}
		}
		return fn(&txn{ctx: ctx, tx: tx, userID: userID, author: author, now: s.now()})
	})
}

// querier is what reads need: a transaction or the read pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// listFiles returns every file of the user, sorted by path. Trees are small (a plan's
// quota is kilobytes), so directory logic works on the full list in Go.
func listFiles(ctx context.Context, q querier, userID string) ([]FileInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT path, size, updated_at FROM memory_files WHERE user_id = $1 ORDER BY path`, userID)
	if err != nil {
		return nil, fmt.Errorf("memory: list files: %w", err)
	}
	defer rows.Close()
	var out []FileInfo
	for rows.Next() {
		var f FileInfo
		var updated int64
		if err := rows.Scan(&f.Path, &f.Size, &updated); err != nil {
			return nil, fmt.Errorf("memory: list files: %w", err)
		}
		f.UpdatedAt = db.Time(updated)
		out = append(out, f)
	}
	return out, rows.Err()
}

// errNoFile reports that a file does not exist.
var errNoFile = errors.New("memory: no such file")

func getFile(ctx context.Context, q querier, userID, path string) (File, error) {
	var f File
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT path, content, size, created_at, updated_at FROM memory_files WHERE user_id = $1 AND path = $2`,
		userID, path).Scan(&f.Path, &f.Content, &f.Size, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, errNoFile
	}
	if err != nil {
		return File{}, fmt.Errorf("memory: read file: %w", err)
	}
	f.CreatedAt, f.UpdatedAt = db.Time(created), db.Time(updated)
	return f, nil
}

func (t *txn) get(path string) (File, error) { return getFile(t.ctx, t.tx, t.userID, path) }

func (t *txn) list() ([]FileInfo, error) { return listFiles(t.ctx, t.tx, t.userID) }

// write creates or replaces a file and records the version.
func (t *txn) write(path, content, action, otherPath string) (string, error) {
	ms := db.Millis(t.now)
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO memory_files (user_id, path, content, size, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (user_id, path) DO UPDATE SET content = excluded.content, size = excluded.size, updated_at = excluded.updated_at`,
		t.userID, path, content, int64(len(content)), ms)
	if err != nil {
		return "", fmt.Errorf("memory: write file: %w", err)
	}
	return t.version(path, sql.NullString{String: content, Valid: true}, action, otherPath)
}

// remove deletes a file and records the deletion as a version.
func (t *txn) remove(path, action, otherPath string) (string, error) {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM memory_files WHERE user_id = $1 AND path = $2`, t.userID, path); err != nil {
		return "", fmt.Errorf("memory: delete file: %w", err)
	}
	return t.version(path, sql.NullString{}, action, otherPath)
}

func (t *txn) version(path string, content sql.NullString, action, otherPath string) (string, error) {
	id := rand.Text()
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO memory_versions (id, user_id, path, author, action, content, size, other_path, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, t.userID, path, t.author, action, content, int64(len(content.String)), otherPath, db.Millis(t.now))
	if err != nil {
		return "", fmt.Errorf("memory: record version: %w", err)
	}
	return id, nil
}
