// Package tasks runs scheduled tasks (TASK): a task is an instruction the assistant carries
// out on a schedule in the task's own conversation, its result delivered to the channels the
// user chose. Each due occurrence becomes exactly one run, whatever the number of instances:
// the sweep that finds it records the run (unique per task and due time), enqueues its job
// and advances the task's next_run_at in one transaction.
package tasks

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/mail"
)

// Assistant is what tasks need from chat: a conversation per task and agent turns in it.
type Assistant interface {
	// CreateConversation starts an empty conversation and returns its id.
	CreateConversation(ctx context.Context, userID, title string) (string, error)
	// DeleteConversation deletes a conversation made for a task that was then not created.
	DeleteConversation(ctx context.Context, userID, convID string) error
	// Turn sends content as the user's message in the conversation and waits for the
	// assistant's reply: a run's turn, with a fresh context (the instruction and the last
	// few results, see RunHistoryTurns), without the tasks tool and within maxTokens. A
	// conversation that no longer exists is an errs.NotFound error; a refused turn (over
	// the plan's quota) keeps chat's error; a reply that spent maxTokens is
	// ErrBudgetExceeded.
	Turn(ctx context.Context, userID, convID, content string, maxTokens int64) (TurnResult, error)
	// ReplyText returns the text of a stored reply (for channels outside the app).
	ReplyText(ctx context.Context, userID, messageID string) (string, error)
	// MarkUnread flags the conversation as having news for the user (in-app delivery).
	MarkUnread(ctx context.Context, userID, convID string) error
}

// A run's context and budget.
const (
	// RunHistoryTurns is how many turns of the task's conversation a run sends the model,
	// its own included: the instruction with the last two runs' results, never an
	// ever-growing history.
	RunHistoryTurns = 3
	// RunTokenBudget is the most tokens one run may use (input, output and cache across
	// its model calls), or the plan's tokens_per_day when that is smaller.
	RunTokenBudget int64 = 20_000
)

// ErrBudgetExceeded is the error of a run whose reply spent its token budget.
var ErrBudgetExceeded = errors.New("budget_exceeded")

// runBudget is a run's token budget under the plan's limits.
func runBudget(l Limits) int64 {
	b := RunTokenBudget
	if l.TokensPerDay >= 0 && l.TokensPerDay < b {
		b = max(l.TokensPerDay, 1) // 0 would mean no budget; chat refuses the turn anyway
	}
	return b
}

// TurnResult is the stored reply of a turn.
type TurnResult struct {
	MessageID string
	Text      string
	// Tokens is the reply's input, output and cache-write tokens.
	Tokens int64
}

// Account is what a run needs to know of its owner.
type Account struct {
	Email, Name string
	// Standing is active, suspended or deleted.
	Standing string
}

// Accounts reads account standing and contact (implemented by auth).
type Accounts interface {
	Account(ctx context.Context, userID string) (Account, error)
}

// Limits are the plan limits that apply to tasks; a negative ActiveTasks or TokensPerDay
// is unlimited.
type Limits struct {
	ActiveTasks int64
	MinInterval time.Duration
	// TokensPerDay caps a run's token budget (RunTokenBudget) when it is smaller.
	TokensPerDay int64
}

// Plans gives a user's task limits (implemented by usage).
type Plans interface {
	TaskLimits(ctx context.Context, userID string) (Limits, error)
}

// Mailer stores an email and its delivery job inside a transaction.
type Mailer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, m mail.Message) error
}

// Deps is what the service needs.
type Deps struct {
	DB *db.DB
	// Queue returns the job queue (built after the services).
	Queue     func() *jobs.Queue
	Assistant Assistant
	Accounts  Accounts
	Plans     Plans
	Mail      Mailer
	// PublicURL starts links in emails.
	PublicURL string
	// Grace is how late a run may start; later ones are recorded as missed.
	Grace time.Duration
	// AllowCreate and AllowRun rate-limit creating tasks and "run now" (nil: no limit).
	AllowCreate, AllowRun func(ctx context.Context, userID string) error
	Logger                *slog.Logger
}

// SweepInterval is how often each serving instance looks for due tasks.
const SweepInterval = 15 * time.Second

// Service stores tasks, finds due runs, runs them and delivers their results.
type Service struct {
	d      Deps
	logger *slog.Logger
	clock  atomic.Pointer[func() time.Time]

	mu       sync.Mutex
	channels map[string]Channel

	stop context.CancelFunc
	done chan struct{}
}

// New builds the service with the in-app and email channels.
func New(d Deps) *Service {
	s := &Service{d: d, logger: d.Logger, channels: map[string]Channel{}}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.logger = s.logger.With("component", "tasks")
	s.AddChannel(inAppChannel{s})
	s.AddChannel(emailChannel{s})
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

// Start sweeps once, then every SweepInterval until Stop.
func (s *Service) Start(ctx context.Context) error {
	if _, err := s.Sweep(ctx); err != nil {
		s.logger.Warn("task sweep failed", "error", err)
	}
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		defer func() {
			if v := recover(); v != nil {
				s.logger.Error("task sweeper panicked", "panic", v)
			}
		}()
		t := time.NewTicker(SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
					s.logger.Warn("task sweep failed", "error", err)
				}
			}
		}
	}()
	return nil
}

// Stop ends the sweeper and waits for it.
func (s *Service) Stop(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
