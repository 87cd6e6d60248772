package changelog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Entry statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// Limits of an entry.
const (
	MaxTitleChars = 200
	MaxBodyChars  = 50_000
)

// Entry is a changelog entry. Title and body are markdown, stored as written; whoever
// shows them renders them sanitised.
type Entry struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Body         string     `json:"body"`
	Status       string     `json:"status"`
	PublishedAt  *time.Time `json:"published_at"`
	PolicyChange bool       `json:"policy_change"`
	EffectiveAt  *time.Time `json:"effective_at"`
	AuthorID     string     `json:"author_id"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// PublicEntry is an entry as GET /api/v1/changelog shows it.
type PublicEntry struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Body         string     `json:"body"`
	PublishedAt  *time.Time `json:"published_at"`
	PolicyChange bool       `json:"policy_change"`
	EffectiveAt  *time.Time `json:"effective_at"`
}

// Public returns the fields everyone may see.
func (e Entry) Public() PublicEntry {
	return PublicEntry{ID: e.ID, Title: e.Title, Body: e.Body, PublishedAt: e.PublishedAt,
		PolicyChange: e.PolicyChange, EffectiveAt: e.EffectiveAt}
}

// Draft is what an admin writes: the fields of a new entry, or the changed fields of an
// existing one (nil: unchanged).
type Draft struct {
	Title        *string `json:"title"`
	Body         *string `json:"body"`
	PolicyChange *bool   `json:"policy_change"`
	// EffectiveAt is a date (YYYY-MM-DD, UTC) or an RFC 3339 time; "" clears it.
	EffectiveAt *string `json:"effective_at"`
}

const entryColumns = `id, title, body, status, published_at, policy_change, effective_at, COALESCE(author_id, ''), created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanEntry(r scanner) (Entry, error) {
	var e Entry
	var pub, eff sql.NullInt64
	var policy int
	var created, updated int64
	if err := r.Scan(&e.ID, &e.Title, &e.Body, &e.Status, &pub, &policy, &eff, &e.AuthorID, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Entry{}, errs.NotFoundf("no such changelog entry")
		}
		return Entry{}, fmt.Errorf("changelog: read entry: %w", err)
	}
	e.PolicyChange = policy != 0
	if pub.Valid {
		t := db.Time(pub.Int64)
		e.PublishedAt = &t
	}
	if eff.Valid {
		t := db.Time(eff.Int64)
		e.EffectiveAt = &t
	}
	e.CreatedAt, e.UpdatedAt = db.Time(created), db.Time(updated)
	return e, nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parseEffective reads an effective date: YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseEffective(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errs.InvalidField("effective_at", "the effective date must be a date like 2027-01-31")
}

// earliestEffective is the first day a policy change published at now may take effect:
// the publication's UTC date plus the notice days.
func (s *Service) earliestEffective(now time.Time) time.Time {
	d := now.UTC()
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, s.d.NoticeDays)
}

// checkNotice refuses an effective date that would give users less notice than required
// when published at now.
func (s *Service) checkNotice(e Entry, now time.Time) error {
	if !e.PolicyChange {
		return nil
	}
	if e.EffectiveAt == nil {
		return errs.InvalidField("effective_at", "a policy change needs the date it takes effect")
	}
	if e.EffectiveAt.Before(now) {
		return errs.InvalidField("effective_at", "the effective date %s is in the past; a policy change needs at least %d days' notice (%s or later)",
			e.EffectiveAt.Format(time.DateOnly), s.d.NoticeDays, s.earliestEffective(now).Format(time.DateOnly))
	}
	if first := s.earliestEffective(now); e.EffectiveAt.Before(first) {
		return errs.InvalidField("effective_at", "a policy change needs at least %d days' notice: the effective date must be %s or later",
			s.d.NoticeDays, first.Format(time.DateOnly))
	}
	return nil
}

// apply validates a draft onto e.
func (s *Service) apply(e *Entry, d Draft) error {
	if d.Title != nil {
		e.Title = strings.TrimSpace(*d.Title)
	}
	if d.Body != nil {
		e.Body = *d.Body
	}
	if e.Title == "" {
		return errs.InvalidField("title", "the title must not be empty")
	}
	if utf8.RuneCountInString(e.Title) > MaxTitleChars {
		return errs.InvalidField("title", "the title must be at most %d characters", MaxTitleChars)
	}
	if utf8.RuneCountInString(e.Body) > MaxBodyChars {
		return errs.InvalidField("body", "the body must be at most %d characters", MaxBodyChars)
	}
	if !utf8.ValidString(e.Title) || !utf8.ValidString(e.Body) {
		return errs.InvalidField("body", "the text must be valid UTF-8")
	}
	published := e.Status == StatusPublished
	if d.PolicyChange != nil && *d.PolicyChange != e.PolicyChange {
		if published {
			return errs.E(errs.Conflict, "the entry is published: whether it is a policy change can no longer change")
		}
		e.PolicyChange = *d.PolicyChange
	}
	if d.EffectiveAt != nil {
		var eff *time.Time
		if strings.TrimSpace(*d.EffectiveAt) != "" {
			t, err := parseEffective(*d.EffectiveAt)
			if err != nil {
				return err
			}
			eff = &t
		}
		if published && !sameTime(eff, e.EffectiveAt) {
			return errs.E(errs.Conflict, "the entry is published: its effective date can no longer change (publish a new entry)")
		}
		e.EffectiveAt = eff
	}
	if !e.PolicyChange {
		e.EffectiveAt = nil
	}
	if !published {
		return s.checkNotice(*e, s.now())
	}
	return nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return db.NullMillis(*t)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Create stores a new draft written by authorID.
func (s *Service) Create(ctx context.Context, authorID string, d Draft) (Entry, error) {
	now := s.now()
	e := Entry{ID: newID(), Status: StatusDraft, AuthorID: authorID, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(&e, d); err != nil {
		return Entry{}, err
	}
	var author sql.NullString
	if authorID != "" {
		author = sql.NullString{String: authorID, Valid: true}
	}
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO changelog_entries (id, title, body, status, policy_change, effective_at, author_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, e.ID, e.Title, e.Body, e.Status, boolInt(e.PolicyChange), nullTime(e.EffectiveAt), author, db.Millis(now))
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("changelog: create: %w", err)
	}
	if err := s.record(ctx, authorID, "changelog.create", "changelog_entry", e.ID, map[string]any{"policy_change": e.PolicyChange}); err != nil {
		return Entry{}, err
	}
	return s.Entry(ctx, e.ID)
}

// Entry returns any entry (drafts included).
func (s *Service) Entry(ctx context.Context, id string) (Entry, error) {
	return scanEntry(s.d.DB.R.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM changelog_entries WHERE id = $1`, id))
}

// Entries returns every entry, drafts first, then the published ones newest first.
func (s *Service) Entries(ctx context.Context) ([]Entry, error) {
	return s.list(ctx, `SELECT `+entryColumns+` FROM changelog_entries
		ORDER BY CASE WHEN status = 'draft' THEN 0 ELSE 1 END, COALESCE(published_at, updated_at) DESC, id`)
}

// Published returns the published entries, newest first.
func (s *Service) Published(ctx context.Context) ([]Entry, error) {
	return s.list(ctx, `SELECT `+entryColumns+` FROM changelog_entries WHERE status = 'published'
		ORDER BY published_at DESC, id DESC LIMIT 500`)
}

func (s *Service) list(ctx context.Context, q string, args ...any) ([]Entry, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("changelog: list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Update changes an entry. A published entry keeps its policy flag and effective date.
func (s *Service) Update(ctx context.Context, actorID, id string, d Draft) (Entry, error) {
	var changed []string
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM changelog_entries WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if err := s.apply(&e, d); err != nil {
			return err
		}
		for name, set := range map[string]bool{"title": d.Title != nil, "body": d.Body != nil, "policy_change": d.PolicyChange != nil, "effective_at": d.EffectiveAt != nil} {
			if set {
				changed = append(changed, name)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE changelog_entries SET title = $1, body = $2, policy_change = $3, effective_at = $4, updated_at = $5 WHERE id = $6`,
			e.Title, e.Body, boolInt(e.PolicyChange), nullTime(e.EffectiveAt), db.Millis(s.now()), id)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	if err := s.record(ctx, actorID, "changelog.update", "changelog_entry", id, map[string]any{"fields": sortStrings(changed)}); err != nil {
		return Entry{}, err
	}
	return s.Entry(ctx, id)
}

// Delete removes an entry. A published policy change stays: users were notified of it.
func (s *Service) Delete(ctx context.Context, actorID, id string) error {
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM changelog_entries WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if e.Status == StatusPublished && e.PolicyChange {
			return errs.E(errs.Conflict, "a published policy change cannot be deleted: users were notified of it")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM changelog_entries WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return err
	}
	return s.record(ctx, actorID, "changelog.delete", "changelog_entry", id, nil)
}
