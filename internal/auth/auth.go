// Package auth owns accounts and authentication: sign-up, sign-in with a password or with
// Google, email verification, password reset, revocable sessions named by signed tokens,
// sign-in history, rate limits on every route and the middleware that puts the signed-in
// user in the request context.
package auth

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/ratelimit"
)

// Principal is the signed-in user a request acts for.
type Principal struct {
	UserID        string
	SessionID     string
	EmailVerified bool
	Role          string
}

// IsAdmin reports whether the principal has the admin role.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// The roles a user can have.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal that Require put in the request context.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Limiter counts hits against rate limits in the store every instance shares
// (*ratelimit.Limiter).
type Limiter interface {
	Allow(ctx context.Context, rule ratelimit.Rule, subject string) error
	Purge(ctx context.Context) (int64, error)
}

// Queue inserts a background job inside the caller's transaction (*jobs.Queue).
type Queue interface {
	Insert(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Deps is what the service needs from the rest of the application.
type Deps struct {
	Config   config.Config
	DB       *db.DB
	Secret   []byte
	ClientIP *httpx.ClientIP
	Limiter  Limiter
	Logger   *slog.Logger
	Mail     *mail.Service
	// Jobs returns the job queue, which is built after the services are wired.
	Jobs func() Queue
}

// Service implements accounts and authentication.
type Service struct {
	cfg      config.Config
	db       *db.DB
	secret   []byte
	clientIP *httpx.ClientIP
	limiter  Limiter
	logger   *slog.Logger
	mail     *mail.Service
	jobs     func() Queue

	disposable disposableDomains
	google     *googleProvider
	clock      atomic.Pointer[func() time.Time]
	onSignup   signupHooks
	tokens     tokenCache
}

// New builds the service.
func New(d Deps) *Service {
	s := &Service{
		cfg: d.Config, db: d.DB, secret: d.Secret, clientIP: d.ClientIP,
		limiter: d.Limiter, logger: d.Logger, mail: d.Mail, jobs: d.Jobs,
		disposable: newDisposableDomains(d.Config.DisposableCheck, d.Config.DisposableDomains),
		google:     newGoogleProvider(d.Config.GoogleClientID, d.Config.GoogleClientSecret, d.Config.GoogleIssuerURL, d.Config.PublicURL),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.clientIP == nil {
		s.clientIP = httpx.NewClientIP(nil)
	}
	return s
}

// SetClock replaces the service's clock (tests move time forward with it).
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)().UTC()
	}
	return time.Now().UTC()
}

// ip returns the client address of r.
func (s *Service) ip(r *http.Request) string { return s.clientIP.IP(r) }
