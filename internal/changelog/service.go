// Package changelog is the changelog (PRIV-7) and the policy pages: admins write entries
// in markdown, publish them to GET /api/v1/changelog (the app's "What's new"), and a
// published policy change is emailed to every active user through the job queue, in
// batches, exactly once per user. The privacy policy and terms (/privacy, /terms) are
// operator-editable markdown kept in numbered versions; sign-up records the versions the
// new user accepted.
package changelog

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/mail"
)

// Auditor writes an admin action to the audit log (the admin area's service).
type Auditor interface {
	RecordAudit(ctx context.Context, actorID, action, targetType, targetID string, details map[string]any) error
}

// Mailer stores an email and its delivery job inside a transaction (*mail.Service).
type Mailer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, m mail.Message) error
}

// Deps is what the service needs.
type Deps struct {
	DB *db.DB
	// Queue returns the job queue, which is built after the services are wired.
	Queue func() *jobs.Queue
	Mail  Mailer
	Audit Auditor
	// PublicURL starts the links in the notices.
	PublicURL string
	// NoticeDays is the least notice of a policy change (ALLY_POLICY_NOTICE_DAYS).
	NoticeDays int
	// OperatorName and PrivacyContact fill the default policy pages.
	OperatorName, PrivacyContact string
	// BatchSize is how many users one notice job mails (default 200).
	BatchSize int
	Logger    *slog.Logger
}

// Service is the changelog and the policy pages.
type Service struct {
	d     Deps
	audit atomic.Pointer[Auditor]
	clock atomic.Pointer[func() time.Time]
}

// DefaultBatchSize is how many users one notice job mails unless configured.
const DefaultBatchSize = 200

// New builds the service.
func New(d Deps) *Service {
	if d.BatchSize <= 0 {
		d.BatchSize = DefaultBatchSize
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{d: d}
	if d.Audit != nil {
		s.SetAuditor(d.Audit)
	}
	return s
}

// SetAuditor replaces the audit log every admin action is written to.
func (s *Service) SetAuditor(a Auditor) { s.audit.Store(&a) }

// SetClock replaces the service's clock (tests move time forward with it).
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

// SetBatchSize changes how many users one notice job mails (tests use small batches).
func (s *Service) SetBatchSize(n int) {
	if n > 0 {
		s.d.BatchSize = n
	}
}

func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)().UTC()
	}
	return time.Now().UTC()
}

// record writes an admin action to the audit log. An action without an actor was made on
// the command line (ally changelog publish): its actor is "cli", and its details say so.
func (s *Service) record(ctx context.Context, actorID, action, targetType, targetID string, details map[string]any) error {
	a := s.audit.Load()
	if a == nil || *a == nil {
		return nil
	}
	if actorID == "" {
		if details == nil {
			details = map[string]any{}
		}
		details["via"] = "cli"
		actorID = "cli"
	}
	return (*a).RecordAudit(ctx, actorID, action, targetType, targetID, details)
}

// Register adds the mailing's workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &fanoutWorker{s: s})
	river.AddWorker(workers, &batchWorker{s: s})
}

// Routes registers the public changelog and policy routes and the admin routes behind
// requireAdmin.
func (s *Service) Routes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	mux.HandleFunc("GET /api/v1/changelog", s.handlePublicList)
	mux.HandleFunc("GET /api/v1/policy/{document}", s.handlePublicPolicy)
	a := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, requireAdmin(fn)) }
	a("GET /api/v1/admin/changelog", s.handleAdminList)
	a("POST /api/v1/admin/changelog", s.handleCreate)
	a("GET /api/v1/admin/changelog/{id}", s.handleAdminGet)
	a("PATCH /api/v1/admin/changelog/{id}", s.handleUpdate)
	a("DELETE /api/v1/admin/changelog/{id}", s.handleDelete)
	a("POST /api/v1/admin/changelog/{id}/publish", s.handlePublish)
	a("GET /api/v1/admin/changelog/{id}/notices", s.handleNotices)
	a("GET /api/v1/admin/policy/{document}", s.handleAdminPolicy)
	a("PUT /api/v1/admin/policy/{document}", s.handleSavePolicy)
}
