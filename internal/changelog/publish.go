package changelog

import (
	"context"
	"database/sql"
	"fmt"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Publish makes a draft public (What's new). A policy change is checked for its notice
// period again and, in the same transaction, its mailing is queued: every active user
// who has an account now is emailed, once.
func (s *Service) Publish(ctx context.Context, actorID, id string) (Entry, error) {
	now := s.now()
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM changelog_entries WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if e.Status == StatusPublished {
			return errs.E(errs.Conflict, "the entry is already published")
		}
		if err := s.checkNotice(e, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE changelog_entries SET status = $1, published_at = $2, updated_at = $2 WHERE id = $3 AND status = $4`,
			StatusPublished, db.Millis(now), id, StatusDraft)
		if err != nil {
			return fmt.Errorf("changelog: publish: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "the entry is already published")
		}
		if !e.PolicyChange {
			return nil
		}
		_, err = s.d.Queue().Insert(ctx, tx, FanoutArgs{EntryID: id}, nil)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	e, err := s.Entry(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	details := map[string]any{"policy_change": e.PolicyChange}
	if e.EffectiveAt != nil {
		details["effective_at"] = e.EffectiveAt.Format("2006-01-02")
	}
	if err := s.record(ctx, actorID, "changelog.publish", "changelog_entry", id, details); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// PublishNew creates and publishes an entry in one step (the CLI).
func (s *Service) PublishNew(ctx context.Context, actorID string, d Draft) (Entry, error) {
	e, err := s.Create(ctx, actorID, d)
	if err != nil {
		return Entry{}, err
	}
	return s.Publish(ctx, actorID, e.ID)
}
