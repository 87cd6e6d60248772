package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/riverqueue/river"
	"sync/atomic"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/memory"
)

// Models streams model calls: the llm router, with its fallback between providers.
type Models interface {
	Stream(ctx context.Context, req *llm.Request) *llm.Turn
	// Providers names the configured providers in order (none: chat answers no_provider).
	Providers() []string
}

// Memory is the user's memory files, as the agent's memory tool and the context see them.
type Memory interface {
	Execute(ctx context.Context, userID string, input json.RawMessage, lim memory.Limits) (result string, isError bool, err error)
	Index(ctx context.Context, userID string) (string, error)
}

// Ledger is the usage ledger and plan limits: a turn is reserved in the transaction that
// claims its conversation, every model call is recorded (as it streams, and settled when
// it ends), fallbacks are limited per plan.
type Ledger interface {
	// PrepareTurn reads what reserving a turn of the user needs and returns the
	// reservation to make in the transaction claiming the conversation: one message and
	// an estimate of its tokens, or quota_exceeded when spent (tx is then rolled back).
	PrepareTurn(ctx context.Context, userID string, loc *time.Location) (ReserveFunc, error)
	// CheckTokens checks the token allowance before each further model call of a turn.
	CheckTokens(ctx context.Context, userID, replyID string, loc *time.Location) error
	// RecordCall adds one model call of a held turn to the ledger.
	RecordCall(ctx context.Context, c ModelCall) error
	// SaveProgress keeps the figures of the call in progress with the turn's reservation,
	// in tx (the periodic save of the reply's text), so a cut call is still counted.
	SaveProgress(ctx context.Context, tx *sql.Tx, c ModelCall) error
	// SettleTurn ends the turn's reservation in tx, recording a call it still holds;
	// giveBack returns its message (a reply that failed before producing anything). last,
	// when set, is the turn's last model call, recorded with the settlement (the reply's
	// final state, in its commit).
	SettleTurn(ctx context.Context, tx *sql.Tx, replyID string, giveBack bool, last *ModelCall) error
	// TurnUsage is what the ledger recorded for a reply's model calls, read in tx.
	TurnUsage(ctx context.Context, tx *sql.Tx, replyID string) (TokenTotals, error)
	// ForgetConversation removes a deleted conversation's usage totals and its name from
	// the ledger, in tx (the deletion's transaction); the day's totals stay.
	ForgetConversation(ctx context.Context, tx *sql.Tx, userID, convID string) error
	// RecordBackground records a call made on Ally's own initiative (a conversation's
	// title) under its purpose: shown to the user, not counted against the chat quota.
	RecordBackground(ctx context.Context, c ModelCall, purpose string) error
	// FallbackAllowed says whether the user may be served by a fallback provider now.
	FallbackAllowed(ctx context.Context, userID string, loc *time.Location) (bool, error)
	// MemoryLimits are the user's memory quotas from their plan.
	MemoryLimits(ctx context.Context, userID string) (memory.Limits, error)
}

// ReserveFunc reserves a turn's allowance in the transaction that claims its conversation.
type ReserveFunc func(ctx context.Context, tx *sql.Tx, h TurnHold) error

// TurnHold is the reservation of one turn.
type TurnHold struct {
	ConversationID, ReplyID string
	// Estimate is the tokens the turn is expected to use (see estimateTurn).
	Estimate int64
}

// Timezones gives a user's timezone, which decides their local day.
type Timezones interface {
	UserLocation(ctx context.Context, userID string) (*time.Location, error)
}

// ModelCall is one model call to record in the usage ledger.
type ModelCall struct {
	UserID, ConversationID, MessageID string
	Provider, Model                   string
	Fallback                          bool
	Usage                             llm.Usage
	At                                time.Time
	Loc                               *time.Location
	// Seq is the call's index in its turn, from 0.
	Seq int
}

// Deps is what the chat service needs from the rest of the application.
type Deps struct {
	Config config.Config
	DB     *db.DB
	Logger *slog.Logger
	Models Models
	// Memory may be nil: the memory tool is then not offered.
	Memory Memory
	// Ledger may be nil: no limits and no ledger (tests of the chat core alone).
	Ledger Ledger
	// Timezones gives users' timezones (the accounts service); nil: UTC.
	Timezones Timezones
	// InstanceFile keeps this instance's id across restarts (in the data directory), so
	// that a restarted instance recognises the replies its previous run left streaming;
	// empty: it does not, and waits for their heartbeat lease like any other instance's.
	InstanceFile string
	// RequireUser and RequireVerified guard the routes (signed in; and email verified,
	// for sending).
	RequireUser     func(http.Handler) http.Handler
	RequireVerified func(http.Handler) http.Handler
	// Queue is the job queue (the small model's titles run as jobs); nil: conversations
	// keep the start of their first message as title.
	Queue func() *jobs.Queue
	// StreamContext is the server's long-lived context (values only: replies are stopped
	// by the service itself at shutdown, so they get until the shutdown deadline).
	StreamContext context.Context
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service is the chat feature: its HTTP handlers and the replies in progress.
type Service struct {
	cfg    config.Config
	store  *Store
	logger *slog.Logger
	models Models
	memory Memory
	ledger Ledger
	now    func() time.Time
	deps   Deps

	// tools are the tools the assistant may call (RegisterTool).
	tools toolRegistry
	// guidance gives the learned guidance (SetGuidance).
	guidance atomic.Pointer[GuidanceSource]

	base    context.Context
	runs    registry
	notices notices
	// writeTimeout drops a stream whose client does not take its events in time.
	writeTimeout time.Duration

	stopSweep context.CancelFunc
	sweepDone chan struct{}
}

// New builds the service. Call Recover before serving and Shutdown when stopping.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.StreamContext == nil {
		d.StreamContext = context.Background()
	}
	s := &Service{
		cfg: d.Config, store: NewStore(d.DB, d.Now), logger: d.Logger.With("component", "chat"),
		models: d.Models, memory: d.Memory, ledger: d.Ledger, now: d.Now, deps: d,
		base: context.WithoutCancel(d.StreamContext), writeTimeout: defaultWriteTimeout,
	}
	s.store.ledger = d.Ledger
	if d.Queue != nil {
		s.store.enqueue = func(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
			_, err := d.Queue().Insert(ctx, tx, args, nil)
			return err
		}
	}
	s.store.instance = newID()
	s.runs.init()
	s.RegisterTool(currentTimeTool{now: d.Now})
	if d.Memory != nil {
		s.RegisterTool(memoryTool{memory: d.Memory, ledger: d.Ledger})
	}
	return s
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// userID returns the signed-in user of a request guarded by RequireUser.
func (s *Service) userID(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.UserID
}

// Register adds the chat routes to mux.
func (s *Service) Register(mux *http.ServeMux) {
	user := func(h http.HandlerFunc) http.Handler { return s.deps.RequireUser(h) }
	verified := func(h http.HandlerFunc) http.Handler { return s.deps.RequireVerified(h) }

	mux.Handle("GET /api/v1/conversations", user(s.listConversations))
	mux.Handle("POST /api/v1/conversations", user(s.createConversation))
	mux.Handle("GET /api/v1/conversations/{id}", user(s.getConversation))
	mux.Handle("PATCH /api/v1/conversations/{id}", user(s.renameConversation))
	mux.Handle("DELETE /api/v1/conversations/{id}", user(s.deleteConversation))
	mux.Handle("GET /api/v1/conversations/{id}/messages", user(s.listMessages))
	mux.Handle("POST /api/v1/conversations/{id}/read", user(s.markRead))
	mux.Handle("POST /api/v1/conversations/{id}/messages", verified(s.sendMessage))
	mux.Handle("POST /api/v1/conversations/{id}/regenerate", verified(s.regenerate))
	mux.Handle("GET /api/v1/conversations/{id}/stream", user(s.reattach))
	mux.Handle("GET /api/v1/messages/{id}", user(s.getMessage))
	mux.Handle("POST /api/v1/messages/{id}/edit", verified(s.editMessage))
	mux.Handle("POST /api/v1/messages/{id}/regenerate", verified(s.regenerateMessage))
	mux.Handle("PUT /api/v1/conversations/{id}/branch", user(s.showBranch))
	mux.Handle("POST /api/v1/messages/{id}/stop", user(s.stopMessage))
	mux.Handle("PUT /api/v1/messages/{id}/feedback", user(s.putFeedback))
	mux.Handle("DELETE /api/v1/messages/{id}/feedback", user(s.deleteFeedback))
	mux.Handle("GET /api/v1/me/preferences", user(s.getPreferences))
	mux.Handle("PUT /api/v1/me/preferences", user(s.putPreferences))
}
