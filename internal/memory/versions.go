package memory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Version is one stored change of one file: its content after the change, or none for a
// deletion. A rename leaves two versions: a deletion at the old path and the content at
// the new one, each naming the other in OtherPath.
type Version struct {
	ID        string    `json:"id"`
	Path      string    `json:"path"`
	Author    string    `json:"author"`
	Action    string    `json:"action"`
	Deleted   bool      `json:"deleted"`
	Size      int64     `json:"size"`
	OtherPath string    `json:"other_path,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Content is the full file after the change; lists leave it out.
	Content *string `json:"content,omitempty"`
}

// Versions returns the user's versions, newest first: of one path, or of every path when
// path is empty. before (a version id) pages backwards; limit caps the page.
func (s *Service) Versions(ctx context.Context, userID, path, before string, limit int) ([]Version, error) {
	q := `SELECT id, path, author, action, content IS NULL, size, other_path, created_at FROM memory_versions WHERE user_id = $1`
	args := []any{userID}
	if path != "" {
		args = append(args, path)
		q += fmt.Sprintf(" AND path = $%d", len(args))
	}
	if before != "" {
		var seq int64
		err := s.db.R.QueryRowContext(ctx, `SELECT seq FROM memory_versions WHERE user_id = $1 AND id = $2`, userID, before).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errs.InvalidField("before", "no such version")
		}
		if err != nil {
			return nil, fmt.Errorf("memory: versions: %w", err)
		}
		args = append(args, seq)
		q += fmt.Sprintf(" AND seq < $%d", len(args))
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("memory: versions: %w", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var at int64
		if err := rows.Scan(&v.ID, &v.Path, &v.Author, &v.Action, &v.Deleted, &v.Size, &v.OtherPath, &at); err != nil {
			return nil, fmt.Errorf("memory: versions: %w", err)
		}
		v.CreatedAt = db.Time(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Version returns one of the user's versions with its content.
func (s *Service) Version(ctx context.Context, userID, id string) (Version, error) {
	return getVersion(ctx, s.db.R, userID, id)
}

func getVersion(ctx context.Context, q querier, userID, id string) (Version, error) {
	var v Version
	var content sql.NullString
	var at int64
	err := q.QueryRowContext(ctx, `SELECT id, path, author, action, content, size, other_path, created_at
		FROM memory_versions WHERE user_id = $1 AND id = $2`, userID, id).
		Scan(&v.ID, &v.Path, &v.Author, &v.Action, &content, &v.Size, &v.OtherPath, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, errs.NotFoundf("no such memory version")
	}
	if err != nil {
		return Version{}, fmt.Errorf("memory: version: %w", err)
	}
	v.CreatedAt = db.Time(at)
	v.Deleted = !content.Valid
	if content.Valid {
		v.Content = &content.String
	}
	return v, nil
}

// Revert brings a file back to the state a version recorded, as a new change by the
// user: the version's content, or no file at all when the version is a deletion. It
// returns the id of the new version.
func (s *Service) Revert(ctx context.Context, userID, versionID string) (string, error) {
	lim, err := s.limits(ctx, userID)
	if err != nil {
		return "", err
	}
	var id string
	err = s.mutate(ctx, userID, AuthorUser, func(t *txn) error {
		v, err := getVersion(ctx, t.tx, userID, versionID)
		if err != nil {
			return err
		}
		files, err := t.list()
		if err != nil {
			return err
		}
		if v.Deleted {
			if kindOf(files, v.Path) != kindFile {
				return mistakef(errs.Conflict, "%s does not exist now, as in that version", v.Path)
			}
			id, err = t.remove(v.Path, ActionRevert, "")
			return err
		}
		if kindOf(files, v.Path) != kindFile {
			if err := checkPlace(files, v.Path); err != nil {
				return err
			}
		}
		if err := checkQuota(files, v.Path, v.Size, lim); err != nil {
			return err
		}
		id, err = t.write(v.Path, *v.Content, ActionRevert, "")
		return err
	})
	return id, apiError(err)
}

// UserLimits returns the quotas of the user's plan (see LimitsFor), for callers of
// Execute that have no limits of their own at hand.
func (s *Service) UserLimits(ctx context.Context, userID string) (Limits, error) {
	return s.limits(ctx, userID)
}

// limits returns the quotas for the user's own edits.
func (s *Service) limits(ctx context.Context, userID string) (Limits, error) {
	if s.LimitsFor == nil {
		return Limits{}, nil
	}
	return s.LimitsFor(ctx, userID)
}
