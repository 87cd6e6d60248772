package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Account statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// User is an account as its owner sees it.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	EmailVerified bool      `json:"email_verified"`
	Timezone      string    `json:"timezone"`
	Role          string    `json:"role"`
	Plan          string    `json:"plan"`
	HasPassword   bool      `json:"has_password"`
	PictureURL    string    `json:"picture_url,omitempty"`
	PendingEmail  string    `json:"pending_email,omitempty"`
	AgeConfirmed  time.Time `json:"age_confirmed_at"`
	CreatedAt     time.Time `json:"created_at"`

	status       string
	passwordHash string
	deleted      bool
	deletedAt    time.Time
}

const userColumns = `id, email, name, COALESCE(password_hash, ''), email_verified_at, age_confirmed_at,
	timezone, role, status, plan, deleted_at, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var verified, age, deleted sql.NullInt64
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.passwordHash, &verified, &age, &u.Timezone, &u.Role,
		&u.status, &u.Plan, &deleted, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.NotFoundf("no such user")
	}
	if err != nil {
		return u, fmt.Errorf("auth: read user: %w", err)
	}
	u.EmailVerified, u.AgeConfirmed, u.deleted = verified.Valid, db.NullTime(age), deleted.Valid
	u.deletedAt = db.NullTime(deleted)
	u.CreatedAt = db.Time(created)
	u.HasPassword = u.passwordHash != ""
	return u, nil
}

// active reports whether the account may sign in.
func (u User) active() bool { return u.status == StatusActive && !u.deleted }

// NormalizeEmail is the stored form of an address: trimmed and lower-cased, so one
// mailbox is one account.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// userByEmail reads a user by address (normalized).
func (s *Service) userByEmail(ctx context.Context, q querier, email string) (User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, NormalizeEmail(email)))
}

// UserByEmail reads a user by address (the CLI's --email).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return s.userByEmail(ctx, s.db.R, email)
}

// UserByID reads a user.
func (s *Service) UserByID(ctx context.Context, id string) (User, error) {
	return s.userByID(ctx, s.db.R, id)
}

func (s *Service) userByID(ctx context.Context, q querier, id string) (User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// querier is what reads need: the read pool or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// NewUser describes an account to create directly (CLI, tests); users sign up through
// the API instead.
type NewUser struct {
	Email    string
	Name     string
	Password string // empty: no password (sign-in by Google or after a reset only)
	Verified bool
	Role     string
}

// CreateUser creates an account with an 18+ confirmation recorded now. The password, if
// any, must pass the same rules as at sign-up.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	var id string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.insertUser(ctx, tx, n)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, id)
}

// insertUser validates and inserts a user inside tx and returns its id. A taken address is
// a Conflict (callers facing the public decide what to reveal).
func (s *Service) insertUser(ctx context.Context, tx *sql.Tx, n NewUser) (string, error) {
	email, err := validateEmail(n.Email)
	if err != nil {
		return "", err
	}
	name, err := validateName(n.Name, email)
	if err != nil {
		return "", err
	}
	hash := ""
	if n.Password != "" {
		if hash, err = s.hashPassword(n.Password); err != nil {
			return "", err
		}
	}
	return s.insertUserHashed(ctx, tx, NewUser{Email: email, Name: name, Verified: n.Verified, Role: n.Role}, hash)
}

// insertUserHashed inserts a validated user with an already hashed password ("" for none).
func (s *Service) insertUserHashed(ctx context.Context, tx *sql.Tx, n NewUser, passwordHash string) (string, error) {
	email, name := NormalizeEmail(n.Email), n.Name
	var hash sql.NullString
	if passwordHash != "" {
		hash = sql.NullString{String: passwordHash, Valid: true}
	}
	role := n.Role
	if role == "" {
		role = RoleUser
	}
	now := s.now()
	var verified sql.NullInt64
	if n.Verified {
		verified = db.NullMillis(now)
	}
	id := newID()
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, email_verified_at, age_confirmed_at, role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $6)`, id, email, name, hash, verified, db.Millis(now), role)
	if db.IsUniqueViolation(err) {
		return "", errs.Wrap(err, errs.Conflict, "an account with this email already exists")
	}
	if err != nil {
		return "", fmt.Errorf("auth: insert user: %w", err)
	}
	return id, nil
}
