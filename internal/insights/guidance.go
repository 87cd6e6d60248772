package insights

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Limits of the learned guidance (the nightly review's and the user's own).
const (
	MaxBullets       = 12
	MaxGuidanceChars = 1500
	maxBulletChars   = 240
)

// Sources of a guidance version.
const (
	SourceNightly = "nightly"
	SourceUser    = "user"
)

// Change is one change a nightly version made to the guidance, with the model's one-line
// reason and the replies and conversations it learned it from.
type Change struct {
	// Action is add, remove or edit (Replaces is the bullet an edit rewrote).
	Action          string   `json:"action"`
	Bullet          string   `json:"bullet"`
	Replaces        string   `json:"replaces,omitempty"`
	Reason          string   `json:"reason"`
	MessageIDs      []string `json:"message_ids"`
	ConversationIDs []string `json:"conversation_ids"`
}

// Version is one version of a user's guidance; the current guidance is the newest.
type Version struct {
	// ID is unguessable (revert names it); Seq numbers the user's versions from 1.
	ID     string `json:"id"`
	Seq    int64  `json:"seq"`
	Text   string `json:"text"`
	Source string `json:"source"`
	// Night is the local date a nightly version reviewed.
	Night     string    `json:"night,omitempty"`
	Changes   []Change  `json:"changes"`
	CreatedAt time.Time `json:"created_at"`
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const versionColumns = `id, seq, text, source, night, changes, created_at`

func scanVersion(row interface{ Scan(...any) error }) (Version, error) {
	var v Version
	var changes string
	var at int64
	if err := row.Scan(&v.ID, &v.Seq, &v.Text, &v.Source, &v.Night, &changes, &at); err != nil {
		return v, err
	}
	v.CreatedAt = db.Time(at)
	if err := json.Unmarshal([]byte(changes), &v.Changes); err != nil || v.Changes == nil {
		v.Changes = []Change{}
	}
	return v, nil
}

// Current returns the user's current guidance version; ok is false when they never had
// guidance.
func (s *Service) Current(ctx context.Context, userID string) (v Version, ok bool, err error) {
	return s.current(ctx, s.d.DB.R, userID)
}

func (s *Service) current(ctx context.Context, q querier, userID string) (Version, bool, error) {
	v, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM guidance_versions
		WHERE user_id = $1 ORDER BY seq DESC LIMIT 1`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Version{Changes: []Change{}}, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("insights: read guidance: %w", err)
	}
	return v, true, nil
}

// GuidanceText is the current guidance of the user ("" when none or cleared): what every
// reply's context includes (chat reads it through this at wiring).
func (s *Service) GuidanceText(ctx context.Context, userID string) (string, error) {
	v, _, err := s.Current(ctx, userID)
	return v.Text, err
}

// Versions returns the user's guidance versions, newest first (at most limit).
func (s *Service) Versions(ctx context.Context, userID string, limit int) ([]Version, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT `+versionColumns+` FROM guidance_versions
		WHERE user_id = $1 ORDER BY seq DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("insights: list guidance versions: %w", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("insights: list guidance versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// addVersion stores text as the user's next version, in tx.
func (s *Service) addVersion(ctx context.Context, tx *sql.Tx, userID, text, source, night string, changes []Change, at time.Time) (Version, error) {
	if changes == nil {
		changes = []Change{}
	}
	raw, err := json.Marshal(changes)
	if err != nil {
		return Version{}, err
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM guidance_versions WHERE user_id = $1`,
		userID).Scan(&seq); err != nil {
		return Version{}, fmt.Errorf("insights: next guidance version: %w", err)
	}
	id := rand.Text()
	if _, err := tx.ExecContext(ctx, `INSERT INTO guidance_versions (id, user_id, seq, text, source, night, changes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, userID, seq, text, source, night, string(raw), db.Millis(at)); err != nil {
		return Version{}, fmt.Errorf("insights: store guidance version: %w", err)
	}
	return Version{ID: id, Seq: seq, Text: text, Source: source, Night: night, Changes: changes, CreatedAt: db.Time(db.Millis(at))}, nil
}

// SetGuidance stores the user's own guidance text as a new version ("" clears it).
func (s *Service) SetGuidance(ctx context.Context, userID, text string) (Version, error) {
	text, err := validGuidance(text)
	if err != nil {
		return Version{}, err
	}
	var v Version
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, _, err := s.current(ctx, tx, userID)
		if err != nil {
			return err
		}
		if cur.Text == text && cur.Seq > 0 {
			v = cur // unchanged: no new version
			return nil
		}
		v, err = s.addVersion(ctx, tx, userID, text, SourceUser, "", nil, s.now())
		return err
	})
	return v, err
}

// Revert makes version id's text the current guidance again (as a new version by the
// user, so the revert itself can be undone).
func (s *Service) Revert(ctx context.Context, userID, id string) (Version, error) {
	var v Version
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM guidance_versions
			WHERE user_id = $1 AND id = $2`, userID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFoundf("no such guidance version")
		}
		if err != nil {
			return fmt.Errorf("insights: read guidance version: %w", err)
		}
		v, err = s.addVersion(ctx, tx, userID, old.Text, SourceUser, "", nil, s.now())
		return err
	})
	return v, err
}

// validGuidance trims the user's text and checks its bounds.
func validGuidance(text string) (string, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if utf8.RuneCountInString(text) > MaxGuidanceChars {
		return "", errs.InvalidField("text", "text must be at most %d characters", MaxGuidanceChars)
	}
	if n := len(bullets(text)); n > MaxBullets {
		return "", errs.InvalidField("text", "text must have at most %d lines", MaxBullets)
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' && r != '\t' {
			return "", errs.InvalidField("text", "text must not contain control characters")
		}
	}
	return text, nil
}

// bullets splits guidance text into its bullets (one per non-empty line, list markers
// removed).
func bullets(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimSpace(strings.TrimLeft(line, "-*•"))
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// render joins bullets as the guidance text.
func render(bs []string) string {
	if len(bs) == 0 {
		return ""
	}
	return "- " + strings.Join(bs, "\n- ")
}
