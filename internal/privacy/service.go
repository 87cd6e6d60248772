// Package privacy keeps the privacy policy's promises about a user's data: the complete
// export (PRIV-2), account deletion with a recovery window and the purge after it (PRIV-3),
// and retention (PRIV-4). It knows every table of the schema through Tables, the registry
// that declares each one user-owned (and how it reaches its owner) or system; export and
// purge are driven by that registry, and tests derived from the schema prove it complete.
package privacy

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/ratelimit"
)

// Hook is a feature's part in deleting, recovering or purging an account. It runs inside
// the transaction that makes the change, so the change and the hook's effect commit
// together; an error aborts both.
type Hook func(ctx context.Context, tx *sql.Tx, userID string) error

// Mailer stores an email and its delivery job inside a transaction.
type Mailer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, m mail.Message) error
}

// Accounts is what the service needs from authentication.
type Accounts interface {
	Require(next http.Handler) http.Handler
	IssueSession(ctx context.Context, userID, method string, c auth.Client) (auth.IssuedToken, error)
	RecordSignIn(ctx context.Context, userID, method string, c auth.Client)
	UserByID(ctx context.Context, id string) (auth.User, error)
	// PasswordMatches checks a password against a stored hash, taking as long for an
	// empty hash (no account) as for a real one.
	PasswordMatches(hash, pw string) bool
	// MarkDeleted, MarkRecovered and RevokeAll change the account inside the caller's
	// transaction, so a deletion or recovery commits with everything that goes with it.
	MarkDeleted(ctx context.Context, tx *sql.Tx, userID string, at time.Time) error
	MarkRecovered(ctx context.Context, tx *sql.Tx, userID string, deletedAt time.Time) (status string, err error)
	RevokeAll(ctx context.Context, tx *sql.Tx, userID string) error
}

// Deps is what the service needs from the rest of the application.
type Deps struct {
	Config config.Config
	DB     *db.DB
	// Tables overrides the declarations (default: Tables).
	Tables   []Table
	Accounts Accounts
	Mail     Mailer
	Limiter  *ratelimit.Limiter
	// ClientIP resolves the client address for rate limits.
	ClientIP interface{ IP(*http.Request) string }
	Logger   *slog.Logger
}

// Service exports, deletes, recovers and purges accounts and applies retention.
type Service struct {
	db       *db.DB
	reg      *Registry
	grace    time.Duration
	bcrypt   int
	accounts Accounts
	mail     Mailer
	limiter  *ratelimit.Limiter
	clientIP interface{ IP(*http.Request) string }
	logger   *slog.Logger
	clock    atomic.Pointer[func() time.Time]

	mu                           sync.Mutex
	onDelete, onRecover, onPurge []Hook
	retainers                    []Retainer
	thirdParties                 []ThirdPartySource
	scrub                        scrubQueue
}

// New builds the service; it fails when the declarations are inconsistent.
func New(d Deps) (*Service, error) {
	tables := d.Tables
	if tables == nil {
		tables = Tables
	}
	reg, err := NewRegistry(tables)
	if err != nil {
		return nil, err
	}
	s := &Service{db: d.DB, reg: reg, grace: d.Config.DeletionGrace, bcrypt: d.Config.BcryptCost,
		accounts: d.Accounts, mail: d.Mail, limiter: d.Limiter, clientIP: d.ClientIP, logger: d.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Registry returns the table declarations in use.
func (s *Service) Registry() *Registry { return s.reg }

// OnDelete registers a hook run when an account is deleted (stop replies, pause tasks,
// unlink Telegram, cancel billing, …).
func (s *Service) OnDelete(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDelete = append(s.onDelete, h)
}

// OnRecover registers a hook run when a deleted account is recovered within the grace.
func (s *Service) OnRecover(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRecover = append(s.onRecover, h)
}

// OnPurge registers a hook run when an account is purged, before its rows are deleted
// (data kept outside the database, external records).
func (s *Service) OnPurge(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPurge = append(s.onPurge, h)
}

func (s *Service) runHooks(ctx context.Context, tx *sql.Tx, hooks *[]Hook, userID string) error {
	s.mu.Lock()
	hs := append([]Hook(nil), *hooks...)
	s.mu.Unlock()
	for _, h := range hs {
		if err := h(ctx, tx, userID); err != nil {
			return err
		}
	}
	return nil
}

// SetClock replaces the service's clock (tests move time forward with it).
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)().UTC()
	}
	return time.Now().UTC()
}
