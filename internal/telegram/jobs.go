package telegram

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// GoodbyeArgs is the job telling a chat it was unlinked (from the web, or by the
// account's deletion). UserID is kept so the account's purge removes the job.
type GoodbyeArgs struct {
	UserID string `json:"user_id"`
	ChatID int64  `json:"chat_id"`
}

// Kind implements river.JobArgs.
func (GoodbyeArgs) Kind() string { return "telegram_goodbye" }

// InsertOpts retries a few times: the notice is a courtesy.
func (GoodbyeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type goodbyeWorker struct {
	river.WorkerDefaults[GoodbyeArgs]
	s *Service
}

// Timeout bounds one attempt.
func (w *goodbyeWorker) Timeout(*river.Job[GoodbyeArgs]) time.Duration { return 30 * time.Second }

// Work tells the chat, unless it was linked again meanwhile.
func (w *goodbyeWorker) Work(ctx context.Context, job *river.Job[GoodbyeArgs]) error {
	if !w.s.Enabled() {
		return nil
	}
	if _, err := w.s.linkByChat(ctx, job.Args.ChatID); err == nil {
		return nil
	}
	_, err := w.s.sendText(ctx, job.Args.ChatID, textUnlinkedWeb, false)
	if err != nil && !retryable(err) {
		return nil // blocked or gone: nothing more to tell
	}
	return err
}

// Register adds the job workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &goodbyeWorker{s: s})
}
