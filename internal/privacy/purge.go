package privacy

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"myally.app/ally/internal/db"
)

// Purge deletes every row of the user: the purge hooks run first, then every user-owned
// table is emptied of the user's rows in reverse declaration order (the users row last),
// and system tables that can mention the user (job arguments) lose those rows too. It
// returns the number of rows deleted per table.
func (s *Service) Purge(ctx context.Context, userID string) (map[string]int64, error) {
	deleted := map[string]int64{}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		clear(deleted)
		if err := s.runHooks(ctx, tx, &s.onPurge, userID); err != nil {
			return fmt.Errorf("privacy: purge hook: %w", err)
		}
		// Tables that mention the user come first, while the rows they refer to exist.
		for _, t := range s.reg.Tables() {
			pred := t.Mentions[s.db.Dialect]
			if pred == "" {
				continue
			}
			if err := s.purgeWhere(ctx, tx, t.Name, pred, userID, deleted); err != nil {
				return err
			}
		}
		ts := s.reg.UserTables()
		for i := len(ts) - 1; i >= 0; i-- {
			if err := s.purgeWhere(ctx, tx, ts[i].Name, ts[i].Owner.Where(), userID, deleted); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

func (s *Service) purgeWhere(ctx context.Context, tx *sql.Tx, table, pred, userID string, deleted map[string]int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+pred, userID)
	if err != nil {
		return fmt.Errorf("privacy: purge %s: %w", table, err)
	}
	n, _ := res.RowsAffected()
	deleted[table] += n
	return nil
}

// PurgeDue purges every account deleted longer ago than the grace period and returns how
// many it purged. Each account is purged in its own transaction, so one failure does not
// hold back the others (the next run tries it again). Then what the purged rows left in
// the database's files is scrubbed (scrubDeleted).
func (s *Service) PurgeDue(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.grace)
	rows, err := s.db.R.QueryContext(ctx, `SELECT id FROM users
		WHERE status = $1 AND deleted_at IS NOT NULL AND deleted_at <= $2 ORDER BY deleted_at`,
		StatusDeleted, db.Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("privacy: find accounts to purge: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	purged := 0
	var firstErr error
	for _, id := range ids {
		start := time.Now()
		n, err := s.Purge(ctx, id)
		if err != nil {
			s.logger.Error("account purge failed", "user_id", id, "error", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		s.scrub.add(n)
		// Deletion hooks (unlinking Telegram, say) delete some of the account's rows at
		// deletion time, which leaves nothing for the purge to count in their tables; their
		// old row versions are still in the files, so every user table is scrubbed.
		s.scrub.add(s.everyUserTable())
		var total int64
		for _, c := range n {
			total += c
		}
		s.logger.Info("account purged", "user_id", id, "rows", total, "duration_ms", time.Since(start).Milliseconds())
		purged++
	}
	if err := s.scrubDeleted(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	return purged, firstErr
}

// everyUserTable marks each user-owned table as having deleted rows.
func (s *Service) everyUserTable() map[string]int64 {
	all := map[string]int64{}
	for _, t := range s.reg.UserTables() {
		all[t.Name] = 1
	}
	return all
}

// scrubQueue holds the tables whose deleted rows may still be in the database's files.
type scrubQueue struct {
	mu     sync.Mutex
	tables map[string]bool
}

// add queues the tables a purge or retention run deleted rows from.
func (q *scrubQueue) add(deleted map[string]int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for t, n := range deleted {
		if n > 0 {
			if q.tables == nil {
				q.tables = map[string]bool{}
			}
			q.tables[t] = true
		}
	}
}

// scrubDeleted erases what remains of the deleted rows in the database's files (on SQLite
// the write-ahead log is checkpointed and truncated, on PostgreSQL the tables are
// vacuumed; see db.ScrubDeleted). When it fails (reads in progress on SQLite), the tables
// stay queued and the next purge or retention run tries again.
func (s *Service) scrubDeleted(ctx context.Context) error {
	s.scrub.mu.Lock()
	defer s.scrub.mu.Unlock()
	if len(s.scrub.tables) == 0 {
		return nil
	}
	tables := slices.Sorted(maps.Keys(s.scrub.tables))
	start := time.Now()
	if err := s.db.ScrubDeleted(ctx, tables...); err != nil {
		s.logger.Warn("scrub of deleted rows failed", "tables", len(tables), "error", err)
		return fmt.Errorf("privacy: scrub deleted rows: %w", err)
	}
	clear(s.scrub.tables)
	s.logger.Info("deleted rows scrubbed", "tables", len(tables), "duration_ms", time.Since(start).Milliseconds())
	return nil
}
