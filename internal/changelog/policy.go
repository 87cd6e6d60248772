package changelog

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// The policy pages.
const (
	DocPrivacy = "privacy"
	DocTerms   = "terms"
)

// MaxPolicyChars bounds a policy page's markdown.
const MaxPolicyChars = 200_000

// The texts shipped with Ally (version 0). Placeholders in any version are filled when
// the page is shown: {{operator_name}}, {{privacy_contact}} and {{last_updated}} (the
// effective date of the latest policy change in force, else the date of the shipped text).
var (
	//go:embed policy/privacy.md
	defaultPrivacy string
	//go:embed policy/terms.md
	defaultTerms string
)

// shippedDate is when the shipped texts were last changed.
const shippedDate = "March 2026"

func defaultText(doc string) (string, error) {
	switch doc {
	case DocPrivacy:
		return defaultPrivacy, nil
	case DocTerms:
		return defaultTerms, nil
	}
	return "", errs.NotFoundf("no such policy page")
}

// PolicyVersion is one saved version of a policy page.
type PolicyVersion struct {
	Version   int64     `json:"version"`
	AuthorID  string    `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
}

// PolicyDoc is a policy page as stored: raw markdown with placeholders.
type PolicyDoc struct {
	Document string `json:"document"`
	// Version is 0 for the shipped text, else the saved version's number.
	Version   int64           `json:"version"`
	Body      string          `json:"body"`
	UpdatedAt *time.Time      `json:"updated_at"`
	Default   string          `json:"default"`
	Versions  []PolicyVersion `json:"versions"`
}

// PolicyPage is a policy page as shown: placeholders filled.
type PolicyPage struct {
	Document       string     `json:"document"`
	Version        int64      `json:"version"`
	Body           string     `json:"body"`
	UpdatedAt      *time.Time `json:"updated_at"`
	OperatorName   string     `json:"operator_name"`
	PrivacyContact string     `json:"privacy_contact"`
	LastUpdated    string     `json:"last_updated"`
	// Upcoming is the next published policy change not yet in force, if any.
	Upcoming *PublicEntry `json:"upcoming"`
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// version reads a version of doc (version < 0: the current one).
func (s *Service) version(ctx context.Context, q querier, doc string, version int64) (int64, string, *time.Time, error) {
	def, err := defaultText(doc)
	if err != nil {
		return 0, "", nil, err
	}
	var row *sql.Row
	if version < 0 {
		row = q.QueryRowContext(ctx, `SELECT version, body, created_at FROM policy_versions WHERE document = $1 ORDER BY version DESC LIMIT 1`, doc)
	} else if version == 0 {
		return 0, def, nil, nil
	} else {
		row = q.QueryRowContext(ctx, `SELECT version, body, created_at FROM policy_versions WHERE document = $1 AND version = $2`, doc, version)
	}
	var v, at int64
	var body string
	err = row.Scan(&v, &body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		if version < 0 {
			return 0, def, nil, nil
		}
		return 0, "", nil, errs.NotFoundf("no such version of the %s page", doc)
	}
	if err != nil {
		return 0, "", nil, fmt.Errorf("changelog: read policy: %w", err)
	}
	t := db.Time(at)
	return v, body, &t, nil
}

// Policy returns a policy page as stored, with its version history (the admin's editor).
func (s *Service) Policy(ctx context.Context, doc string) (PolicyDoc, error) {
	v, body, at, err := s.version(ctx, s.d.DB.R, doc, -1)
	if err != nil {
		return PolicyDoc{}, err
	}
	def, _ := defaultText(doc)
	out := PolicyDoc{Document: doc, Version: v, Body: body, UpdatedAt: at, Default: def, Versions: []PolicyVersion{}}
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT version, COALESCE(author_id, ''), created_at FROM policy_versions WHERE document = $1 ORDER BY version DESC`, doc)
	if err != nil {
		return PolicyDoc{}, fmt.Errorf("changelog: policy versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pv PolicyVersion
		var ms int64
		if err := rows.Scan(&pv.Version, &pv.AuthorID, &ms); err != nil {
			return PolicyDoc{}, err
		}
		pv.CreatedAt = db.Time(ms)
		out.Versions = append(out.Versions, pv)
	}
	return out, rows.Err()
}

// SavePolicy stores a new version of a policy page written by actorID.
func (s *Service) SavePolicy(ctx context.Context, actorID, doc, body string) (PolicyDoc, error) {
	if _, err := defaultText(doc); err != nil {
		return PolicyDoc{}, err
	}
	if strings.TrimSpace(body) == "" {
		return PolicyDoc{}, errs.InvalidField("body", "the page must not be empty")
	}
	if utf8.RuneCountInString(body) > MaxPolicyChars || !utf8.ValidString(body) {
		return PolicyDoc{}, errs.InvalidField("body", "the page must be valid text of at most %d characters", MaxPolicyChars)
	}
	var author sql.NullString
	if actorID != "" {
		author = sql.NullString{String: actorID, Valid: true}
	}
	var version int64
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM policy_versions WHERE document = $1`, doc).Scan(&version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (document, version, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
			doc, version, body, author, db.Millis(s.now()))
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "someone saved this page at the same moment; reload and try again")
		}
		return err
	})
	if err != nil {
		return PolicyDoc{}, err
	}
	if err := s.record(ctx, actorID, "policy.update", "policy", doc, map[string]any{"version": version}); err != nil {
		return PolicyDoc{}, err
	}
	return s.Policy(ctx, doc)
}

// Page returns a policy page as shown to everyone (version < 0: the current one).
func (s *Service) Page(ctx context.Context, doc string, version int64) (PolicyPage, error) {
	v, body, at, err := s.version(ctx, s.d.DB.R, doc, version)
	if err != nil {
		return PolicyPage{}, err
	}
	p := PolicyPage{Document: doc, Version: v, UpdatedAt: at, OperatorName: s.d.OperatorName, PrivacyContact: s.d.PrivacyContact}
	now := s.now()
	p.LastUpdated = shippedDate
	var eff sql.NullInt64
	if err := s.d.DB.R.QueryRowContext(ctx, `SELECT MAX(effective_at) FROM changelog_entries
		WHERE status = 'published' AND policy_change = 1 AND effective_at <= $1`, db.Millis(now)).Scan(&eff); err != nil {
		return PolicyPage{}, fmt.Errorf("changelog: last policy change: %w", err)
	}
	if eff.Valid {
		p.LastUpdated = db.Time(eff.Int64).Format("2 January 2006")
	}
	next, err := scanEntry(s.d.DB.R.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM changelog_entries
		WHERE status = 'published' AND policy_change = 1 AND effective_at > $1 ORDER BY effective_at LIMIT 1`, db.Millis(now)))
	if err == nil {
		pe := next.Public()
		p.Upcoming = &pe
	} else if !errs.Is(err, errs.NotFound) {
		return PolicyPage{}, err
	}
	p.Body = strings.NewReplacer(
		"{{operator_name}}", s.d.OperatorName,
		"{{privacy_contact}}", s.d.PrivacyContact,
		"{{last_updated}}", p.LastUpdated,
	).Replace(body)
	return p, nil
}

// RecordAcceptance is the sign-up hook: inside the transaction that creates the account,
// it records the current version of each policy page as accepted.
func (s *Service) RecordAcceptance(ctx context.Context, tx *sql.Tx, userID string) error {
	now := db.Millis(s.now())
	for _, doc := range []string{DocPrivacy, DocTerms} {
		v, _, _, err := s.version(ctx, tx, doc, -1)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_acceptances (user_id, document, version, accepted_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, document, version) DO NOTHING`, userID, doc, v, now); err != nil {
			return fmt.Errorf("changelog: record acceptance: %w", err)
		}
	}
	return nil
}

// Acceptance is a policy version a user accepted.
type Acceptance struct {
	Document   string    `json:"document"`
	Version    int64     `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// Acceptances returns the policy versions a user accepted.
func (s *Service) Acceptances(ctx context.Context, userID string) ([]Acceptance, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT document, version, accepted_at FROM policy_acceptances WHERE user_id = $1 ORDER BY accepted_at, document`, userID)
	if err != nil {
		return nil, fmt.Errorf("changelog: acceptances: %w", err)
	}
	defer rows.Close()
	out := []Acceptance{}
	for rows.Next() {
		var a Acceptance
		var ms int64
		if err := rows.Scan(&a.Document, &a.Version, &ms); err != nil {
			return nil, err
		}
		a.AcceptedAt = db.Time(ms)
		out = append(out, a)
	}
	return out, rows.Err()
}
