// Package admin is the operators' area (ACC-9, ACC-10, PRIV-6, NIGHT-4): accounts (search,
// suspend, resend verification, delete with a reason), anonymised daily analytics with
// small groups suppressed, the outbox, the job queue (River UI) and the audit log of every
// administrator's action. Every route answers 404 to anyone but an active administrator.
// Administrators never see a user's conversations, memory, tasks or guidance: the area
// reads other features only through methods that return accounts, counts and sums.
package admin

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/insights"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/tasks"
	"myally.app/ally/internal/usage"
)

// Accounts is what the area needs from authentication.
type Accounts interface {
	SearchAccounts(ctx context.Context, q, cursor string, limit int) (auth.AccountPage, error)
	AccountByID(ctx context.Context, id string) (auth.Account, error)
	SuspendAccount(ctx context.Context, id string) (auth.Account, error)
	UnsuspendAccount(ctx context.Context, id string) (auth.Account, error)
	ResendVerification(ctx context.Context, id string) error
	PlanOfEveryAccount(ctx context.Context) (map[string]string, error)
	SignupsByDay(ctx context.Context, from, to time.Time) ([]auth.SignupDay, error)
	AuthenticateSession(ctx context.Context, userID, sessionID string) (auth.Principal, error)
	RequireAdmin(next http.Handler) http.Handler
}

// Usage gives usage sums (per account for the list, per plan and day for analytics).
type Usage interface {
	TotalsFor(ctx context.Context, ids []string) (map[string]usage.AccountTotals, error)
	DailyByGroup(ctx context.Context, fromDay, toDay string, group func(string) string) ([]usage.GroupDay, error)
}

// Messages gives message counts and feedback sums from chat.
type Messages interface {
	MessageCounts(ctx context.Context, ids []string) (map[string]int64, error)
	FeedbackByGroup(ctx context.Context, from, to time.Time, group func(string) string) ([]chat.FeedbackDay, error)
}

// TaskRuns gives task-run counts per plan and day.
type TaskRuns interface {
	RunsByGroup(ctx context.Context, from, to time.Time, group func(string) string) ([]tasks.RunsDay, error)
}

// Deleter deletes an account the way its owner would (privacy), with an administrator's
// reason; also runs in the deletion's transaction.
type Deleter interface {
	DeleteByOperator(ctx context.Context, userID, reason string, also func(ctx context.Context, tx *sql.Tx) error) (time.Time, error)
}

// Quality is the nightly analysis' aggregated report (NIGHT-4).
type Quality interface {
	Report(ctx context.Context, days int) ([]insights.NightReport, error)
}

// Outbox lists stored email.
type Outbox func(ctx context.Context, f mail.Filter) ([]mail.Stored, error)

// Deps is what the area needs.
type Deps struct {
	DB       *db.DB
	Accounts Accounts
	Usage    Usage
	Messages Messages
	Tasks    TaskRuns
	Deleter  Deleter
	Quality  Quality
	Outbox   Outbox
	// Jobs is River UI's handler, served at /admin/jobs/ (nil: not served).
	Jobs http.Handler
	// CookieKey signs the job-queue cookie; SecureCookie marks it Secure (HTTPS).
	CookieKey    []byte
	SecureCookie bool
	Logger       *slog.Logger
}

// Service is the admin area.
type Service struct {
	d      Deps
	logger *slog.Logger
	clock  atomic.Pointer[func() time.Time]
}

// New builds the area.
func New(d Deps) *Service {
	s := &Service{d: d, logger: d.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// Routes registers the admin API under /api/v1/admin/ and River UI under /admin/jobs/,
// every route behind the admin check.
func (s *Service) Routes(mux *http.ServeMux) {
	adm := s.d.Accounts.RequireAdmin
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, adm(h)) }
	handle("GET /api/v1/admin/users", s.handleUsers)
	handle("GET /api/v1/admin/users/{id}", s.handleUser)
	handle("POST /api/v1/admin/users/{id}/suspend", s.handleSuspend)
	handle("POST /api/v1/admin/users/{id}/unsuspend", s.handleUnsuspend)
	handle("POST /api/v1/admin/users/{id}/resend-verification", s.handleResend)
	handle("POST /api/v1/admin/users/{id}/delete", s.handleDelete)
	handle("GET /api/v1/admin/analytics", s.handleAnalytics)
	handle("GET /api/v1/admin/outbox", s.handleOutbox)
	handle("GET /api/v1/admin/audit", s.handleAudit)
	handle("POST /api/v1/admin/jobs/session", s.handleJobsSession)
	handle("DELETE /api/v1/admin/jobs/session", s.handleJobsSignOut)
	// Unknown admin paths answer 404 to everyone, admin or not.
	mux.Handle("/api/v1/admin/", adm(http.HandlerFunc(notFound)))
	if s.d.Jobs != nil {
		mux.Handle("/admin/jobs/", s.requireJobsCookie(s.d.Jobs))
		mux.Handle("/admin/jobs", http.RedirectHandler("/admin/jobs/", http.StatusMovedPermanently))
	}
}
