// Package insights is the nightly analysis (NIGHT): after each user's local night it
// reviews their day (conversations, feedback, the current guidance) with the small model,
// through Anthropic Message Batches at half price when Claude is configured and direct
// calls otherwise, and writes per-conversation quality notes and, when the evidence
// passes a threshold, a new version of the learned guidance every reply follows.
//
// It owns the learned guidance and its versions (GET|PUT|DELETE /api/v1/me/guidance):
// chat reads the current text through the function set at wiring. A night is analysed
// once: nightly_runs holds one row per (user, local date), claimed by conditional updates,
// so several instances and restarts neither repeat nor double-charge a night.
package insights

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/llm"
)

// Message is a stored message of the analysed day.
type Message struct {
	ID, Role, Content string
	At                time.Time
}

// Conversation is a conversation with messages in the day, with its stored summary of
// older turns.
type Conversation struct {
	ID, Title, Summary string
	Messages           []Message
}

// Feedback is a feedback event of the day with the rated reply and its prompt.
type Feedback struct {
	MessageID, ConversationID string
	Rating, Reason            string
	Reply, Prompt             string
	At                        time.Time
}

// Day is a user's activity in the analysed range.
type Day struct {
	Conversations []Conversation
	Feedback      []Feedback
}

// Activity reads users' days from chat (read-only, owner-scoped) and their opt-out.
type Activity interface {
	// ActiveUsers are the users who sent a message in [from, to).
	ActiveUsers(ctx context.Context, from, to time.Time) ([]string, error)
	HasActivity(ctx context.Context, userID string, from, to time.Time) (bool, error)
	Day(ctx context.Context, userID string, from, to time.Time) (Day, error)
	// AnalysisAllowed is the preference nightly_analysis.
	AnalysisAllowed(ctx context.Context, userID string) (bool, error)
}

// Accounts gives users' timezones and whether their account may be analysed (active,
// not deleted, not suspended).
type Accounts interface {
	Location(ctx context.Context, userID string) (*time.Location, error)
	Active(ctx context.Context, userID string) (bool, error)
}

// UsageCall is one model call of the review, for the usage ledger.
type UsageCall struct {
	UserID, Provider, Model string
	Input, Output           int64
	CacheRead, CacheWrite   int64
	Batch                   bool
	Day                     string
	At                      time.Time
}

// Ledger records the review's model calls as background usage (labelled "nightly
// review", outside the chat quota) and returns their estimated cost (millionths of a
// dollar; batch calls at half price).
type Ledger interface {
	RecordReview(ctx context.Context, c UsageCall) (int64, error)
}

// Models makes direct model calls: the router, with its fallback between providers.
type Models interface {
	Complete(ctx context.Context, req *llm.Request) (llm.Result, error)
}

// Batches is the Anthropic Message Batches API (*llm.Anthropic).
type Batches interface {
	CreateBatch(ctx context.Context, tier llm.Tier, reqs []llm.BatchRequest) (llm.BatchStatus, error)
	PollBatch(ctx context.Context, id string) (llm.BatchStatus, error)
	BatchResults(ctx context.Context, id string, fn func(llm.BatchResult) error) error
}

// Deps is what the service needs.
type Deps struct {
	DB *db.DB
	// Queue returns the job queue (built after the services).
	Queue    func() *jobs.Queue
	Activity Activity
	Accounts Accounts
	Ledger   Ledger
	Models   Models
	// Batches is nil when Claude is not configured: every night then runs by direct calls.
	Batches Batches
	// Hour is the local hour after which a user's previous day is analysed; Tokens the
	// input-token budget of one user-night (ALLY_NIGHTLY_HOUR, ALLY_NIGHTLY_TOKENS).
	Hour   int
	Tokens int
	Logger *slog.Logger
}

// Service is the nightly analysis and the learned guidance.
type Service struct {
	d      Deps
	logger *slog.Logger
	clock  atomic.Pointer[func() time.Time]
}

// New builds the service.
func New(d Deps) *Service {
	s := &Service{d: d, logger: d.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.logger = s.logger.With("component", "insights")
	if s.d.Tokens <= 0 {
		s.d.Tokens = 60000
	}
	return s
}

// SetClock replaces the service's clock (tests move time with it).
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)().UTC()
	}
	return time.Now().UTC()
}

// Routes registers the guidance API behind requireUser.
func (s *Service) Routes(mux *http.ServeMux, requireUser func(http.Handler) http.Handler) {
	mux.Handle("GET /api/v1/me/guidance", requireUser(http.HandlerFunc(s.getGuidance)))
	mux.Handle("PUT /api/v1/me/guidance", requireUser(http.HandlerFunc(s.putGuidance)))
	mux.Handle("DELETE /api/v1/me/guidance", requireUser(http.HandlerFunc(s.deleteGuidance)))
	mux.Handle("GET /api/v1/me/guidance/versions", requireUser(http.HandlerFunc(s.listVersions)))
	mux.Handle("POST /api/v1/me/guidance/versions/{id}/revert", requireUser(http.HandlerFunc(s.revertVersion)))
}
