package auth

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Account is an account as the admin area lists it: who it is and its state, never its
// content.
type Account struct {
	ID           string
	Email        string
	Name         string
	Plan         string
	Role         string
	Status       string // active, suspended or deleted
	Verified     bool
	CreatedAt    time.Time
	LastActiveAt time.Time // zero: never signed in
}

// AccountPage is one page of SearchAccounts; Next is the cursor of the next page ("" at
// the end).
type AccountPage struct {
	Accounts []Account
	Next     string
}

const accountColumns = `u.id, u.email, u.name, u.plan, u.role, u.status, u.email_verified_at, u.deleted_at, u.created_at,
	(SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id)`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var verified, deleted, last sql.NullInt64
	var created int64
	if err := row.Scan(&a.ID, &a.Email, &a.Name, &a.Plan, &a.Role, &a.Status, &verified, &deleted, &created, &last); err != nil {
		return a, err
	}
	a.Verified, a.CreatedAt, a.LastActiveAt = verified.Valid, db.Time(created), db.NullTime(last)
	if deleted.Valid {
		a.Status = StatusDeleted
	}
	return a, nil
}

// SearchAccounts pages through accounts whose email address or name contains q (case
// does not matter; empty q: every account), newest first. cursor is a page's Next.
func (s *Service) SearchAccounts(ctx context.Context, q, cursor string, limit int) (AccountPage, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	afterAt, afterID := int64(1<<62), ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		at, id, ok := strings.Cut(string(raw), ":")
		n, perr := strconv.ParseInt(at, 10, 64)
		if err != nil || !ok || perr != nil || id == "" {
			return AccountPage{}, errs.InvalidField("cursor", "the cursor is not one this list gave out; start again without it")
		}
		afterAt, afterID = n, id
	}
	pattern := "%" + likeEscaper.Replace(strings.ToLower(strings.TrimSpace(q))) + "%"
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+accountColumns+` FROM users u
		WHERE (LOWER(u.email) LIKE $1 ESCAPE '\' OR LOWER(u.name) LIKE $1 ESCAPE '\')
		  AND (u.created_at < $2 OR (u.created_at = $2 AND u.id > $3))
		ORDER BY u.created_at DESC, u.id LIMIT $4`, pattern, afterAt, afterID, limit+1)
	if err != nil {
		return AccountPage{}, fmt.Errorf("auth: search accounts: %w", err)
	}
	defer rows.Close()
	page := AccountPage{Accounts: []Account{}}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return AccountPage{}, fmt.Errorf("auth: search accounts: %w", err)
		}
		page.Accounts = append(page.Accounts, a)
	}
	if err := rows.Err(); err != nil {
		return AccountPage{}, err
	}
	if len(page.Accounts) > limit {
		page.Accounts = page.Accounts[:limit]
		last := page.Accounts[limit-1]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(db.Millis(last.CreatedAt), 10) + ":" + last.ID))
	}
	return page, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// AccountByID returns one account as the admin area shows it; not_found when there is none.
func (s *Service) AccountByID(ctx context.Context, id string) (Account, error) {
	a, err := scanAccount(s.db.R.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users u WHERE u.id = $1`, id))
	if err == sql.ErrNoRows {
		return a, errs.NotFoundf("no such user")
	}
	if err != nil {
		return a, fmt.Errorf("auth: read account: %w", err)
	}
	return a, nil
}

// SuspendAccount blocks the account with id and signs it out everywhere (ACC-10). A
// deleted account is a Conflict (it is already blocked; recovery would bring it back
// active otherwise).
func (s *Service) SuspendAccount(ctx context.Context, id string) (Account, error) {
	return s.setAccountStatus(ctx, id, StatusSuspended)
}

// UnsuspendAccount lets a suspended account sign in again.
func (s *Service) UnsuspendAccount(ctx context.Context, id string) (Account, error) {
	return s.setAccountStatus(ctx, id, StatusActive)
}

func (s *Service) setAccountStatus(ctx context.Context, id, status string) (Account, error) {
	a, err := s.AccountByID(ctx, id)
	if err != nil {
		return a, err
	}
	switch {
	case a.Status == StatusDeleted:
		return a, errs.E(errs.Conflict, "this account is deleted and waiting for its purge; it cannot be suspended or unsuspended")
	case a.Status == status && status == StatusSuspended:
		return a, errs.E(errs.Conflict, "this account is already suspended")
	case a.Status == status:
		return a, errs.E(errs.Conflict, "this account is not suspended")
	}
	if _, err := s.setStatus(ctx, a.Email, status); err != nil {
		return a, err
	}
	return s.AccountByID(ctx, id)
}

// ResendVerification queues a new verification link to the account with id. An account
// already verified, or not active, is a Conflict.
func (s *Service) ResendVerification(ctx context.Context, id string) error {
	a, err := s.AccountByID(ctx, id)
	if err != nil {
		return err
	}
	if a.Status != StatusActive {
		return errs.E(errs.Conflict, "this account is %s; verification links go to active accounts only", a.Status)
	}
	if a.Verified {
		return errs.E(errs.Conflict, "this account's email address is already verified")
	}
	return s.enqueueAccountMail(ctx, purposeVerifyEmail, a.Email)
}

// PlanOfEveryAccount returns each account's plan by id, for grouping aggregates by plan
// (the admin analytics); the ids never leave the server.
func (s *Service) PlanOfEveryAccount(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, plan FROM users`)
	if err != nil {
		return nil, fmt.Errorf("auth: plans: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, plan string
		if err := rows.Scan(&id, &plan); err != nil {
			return nil, err
		}
		out[id] = plan
	}
	return out, rows.Err()
}

// SignupDay is how many accounts of a plan were created on a UTC day.
type SignupDay struct {
	Day, Plan string
	Signups   int64
}

// SignupsByDay counts the accounts created in [from, to) per UTC day and current plan.
func (s *Service) SignupsByDay(ctx context.Context, from, to time.Time) ([]SignupDay, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT plan, created_at FROM users WHERE created_at >= $1 AND created_at < $2`,
		db.Millis(from), db.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("auth: signups: %w", err)
	}
	defer rows.Close()
	counts := map[[2]string]int64{}
	for rows.Next() {
		var plan string
		var at int64
		if err := rows.Scan(&plan, &at); err != nil {
			return nil, err
		}
		counts[[2]string{db.Time(at).UTC().Format(time.DateOnly), plan}]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]SignupDay, 0, len(counts))
	for k, n := range counts {
		out = append(out, SignupDay{Day: k[0], Plan: k[1], Signups: n})
	}
	return out, nil
}
