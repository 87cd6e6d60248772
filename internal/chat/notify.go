package chat

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"myally.app/ally/internal/db"
)

// replyChannel is the PostgreSQL notification channel on which the instance generating a
// reply announces that it saved new text, a step or the end, so that streams following
// the reply on other instances read it at once rather than at their next poll.
const replyChannel = "ally_chat_reply"

// notices dispatches reply notifications to the streams waiting on this instance.
type notices struct {
	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
}

// subscribe returns a channel that receives a value when the reply changes.
func (n *notices) subscribe(replyID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	if n.waiters == nil {
		n.waiters = map[string]map[chan struct{}]struct{}{}
	}
	if n.waiters[replyID] == nil {
		n.waiters[replyID] = map[chan struct{}]struct{}{}
	}
	n.waiters[replyID][ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		delete(n.waiters[replyID], ch)
		if len(n.waiters[replyID]) == 0 {
			delete(n.waiters, replyID)
		}
		n.mu.Unlock()
	}
}

func (n *notices) wake(replyID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.waiters[replyID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// listen holds one connection listening on replyChannel until ctx ends, reconnecting
// after failures. Streams keep polling meanwhile, so a lost notification only delays.
// The connection is its own, outside the pool, so that closing the pool never waits
// for it.
func (s *Service) listen(ctx context.Context) {
	cfg := s.deps.DB.Pool.Config().ConnConfig
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+replyChannel); err == nil {
				for {
					n, werr := conn.WaitForNotification(ctx)
					if werr != nil {
						err = werr
						break
					}
					s.notices.wake(n.Payload)
				}
			}
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
		}
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("listening for reply notifications failed; streams poll meanwhile", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// notifyReply announces a change of a reply to the other instances (PostgreSQL only),
// once the transaction that made it has committed. PostgreSQL serialises the commits of
// transactions that notify (each holds a database-wide lock from its notification until
// its commit is on disk), so saves of concurrent replies that notified inside their own
// transactions waited for each other's disk flush; sent after the commit, in a
// statement that writes nothing, the lock is held for no flush, and notifications
// that gather while one is being sent go out together.
func (s *Store) notifyReply(replyID string) {
	if s.db.Dialect != db.Postgres {
		return
	}
	s.notes.send(s.db, replyID)
}

// replyNotifier sends reply notifications, several in one statement when they arrive
// while the previous one is on its way.
type replyNotifier struct {
	mu      sync.Mutex
	pending []string
	sending bool
}

func (n *replyNotifier) send(d *db.DB, replyID string) {
	n.mu.Lock()
	n.pending = append(n.pending, replyID)
	if n.sending {
		n.mu.Unlock()
		return
	}
	n.sending = true
	n.mu.Unlock()
	go n.drain(d)
}

func (n *replyNotifier) drain(d *db.DB) {
	for {
		n.mu.Lock()
		ids := n.pending
		n.pending = nil
		if len(ids) == 0 {
			n.sending = false
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// A lost notification only delays: followers poll meanwhile.
		_, _ = d.W.ExecContext(ctx, `SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id`, replyChannel, ids)
		cancel()
	}
}
