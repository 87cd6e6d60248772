package telegram

import (
	"context"
	"time"

	"github.com/go-telegram/bot"

	"myally.app/ally/internal/db"
)

// pollLockKey is the PostgreSQL advisory lock held by the one instance that polls.
const pollLockKey = 7_245_901_212

// leaderRetry is how often an instance that is not polling tries to take over, and how
// often the poller checks that it still holds the lock.
const leaderRetry = 5 * time.Second

// pollAsLeader long-polls getUpdates while this instance is the poller: on PostgreSQL the
// holder of an advisory lock (one connection holds it; if that connection dies the lock
// is released and another instance takes over), on SQLite (single instance) always.
// Duplicates a takeover might cause are ignored by the stored update ids.
func (s *Service) pollAsLeader(ctx context.Context) {
	if s.d.DB.Dialect != db.Postgres {
		s.poll(ctx)
		return
	}
	for ctx.Err() == nil {
		s.tryLead(ctx)
		if sleep(ctx, leaderRetry) != nil {
			return
		}
	}
}

// tryLead polls for as long as it holds the lock.
func (s *Service) tryLead(ctx context.Context) {
	conn, err := s.d.DB.Pool.Acquire(ctx)
	if err != nil {
		return
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, pollLockKey).Scan(&got); err != nil || !got {
		return
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, pollLockKey) //nolint:errcheck
	s.d.Logger.Info("telegram: this instance polls for updates")
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.poll(pollCtx)
	}()
	for {
		select {
		case <-done:
			return
		case <-time.After(leaderRetry):
			if _, err := conn.Exec(ctx, `SELECT 1`); err != nil {
				cancel() // the lock went with the connection
				<-done
				return
			}
		}
	}
}

// poll runs the client's getUpdates loop from just after the last stored update.
func (s *Service) poll(ctx context.Context) {
	var last int64
	_ = s.d.DB.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(update_id), 0) FROM telegram_updates`).Scan(&last)
	b, err := bot.New(s.d.Token,
		bot.WithServerURL(s.serverURL()),
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(s.d.PollTimeout+time.Second, s.d.HTTPClient),
		bot.WithNotAsyncHandlers(),
		bot.WithDefaultHandler(s.polled),
		bot.WithErrorsHandler(s.clientError),
		bot.WithInitialOffset(last),
		bot.WithAllowedUpdates(bot.AllowedUpdates{"message", "edited_message"}),
	)
	if err != nil {
		s.d.Logger.Error("telegram: polling client", "error", err)
		return
	}
	b.Start(ctx)
}
