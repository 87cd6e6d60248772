package chat

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"myally.app/ally/internal/db"
)

// Liveness of replies across instances: each instance refreshes the replies it generates
// every heartbeatInterval; a streaming reply not refreshed for staleAfter lost its
// instance and is marked interrupted by whichever instance sweeps first, so another
// instance's crash frees its conversations within staleAfter + heartbeatInterval. The
// lease tolerates four missed heartbeats (a slow database, a long pause).
const (
	heartbeatInterval = 1 * time.Second
	staleAfter        = 5 * time.Second
)

// Recover runs at start-up: replies left streaming by a crash become interrupted, with
// the text they had. On SQLite this process is the only instance, so every streaming
// reply is orphaned; on PostgreSQL other instances may be generating theirs, so only
// replies whose heartbeat stopped are, and those of this instance's previous run (the
// instance id kept in Deps.InstanceFile), at once: a restarted instance frees its own
// conversations without waiting for their lease.
func (s *Service) Recover(ctx context.Context) error {
	var cutoff time.Time
	if s.deps.DB.Dialect == db.Postgres {
		cutoff = s.now().Add(-staleAfter)
	}
	previous, err := s.takeInstance()
	if err != nil {
		return err
	}
	n, err := s.store.MarkInterrupted(ctx, cutoff, previous)
	if err != nil {
		return err
	}
	if n > 0 {
		s.logger.Info("replies cut by a server stop marked interrupted", "count", n)
	}
	return nil
}

// takeInstance returns the instance id of this instance's previous run and records this
// run's in its place.
func (s *Service) takeInstance() (string, error) {
	path := s.deps.InstanceFile
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("chat: read the instance id: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s.store.instance+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("chat: record the instance id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("chat: record the instance id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Start begins the heartbeat of this instance's replies, the sweep for replies whose
// instance died and, on PostgreSQL, listening for other instances' reply notifications.
// Shutdown stops them.
func (s *Service) Start() {
	ctx, cancel := context.WithCancel(s.base)
	s.stopSweep, s.sweepDone = cancel, make(chan struct{})
	var listening sync.WaitGroup
	if s.deps.DB.Pool != nil {
		listening.Go(func() { s.listen(ctx) })
	}
	go func() {
		defer close(s.sweepDone)
		defer listening.Wait()
		t := time.NewTicker(heartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.sweep(ctx)
			}
		}
	}()
}

func (s *Service) sweep(ctx context.Context) {
	// The cutoff is taken before the heartbeat: a heartbeat slowed by a busy database
	// stamps this instance's replies with its start, which must not count as stale.
	cutoff := s.now().Add(-staleAfter)
	stops, err := s.store.Heartbeat(ctx, s.runs.ids())
	if err != nil && !errors.Is(err, context.Canceled) {
		s.logger.Warn("reply heartbeat failed", "error", err)
	}
	for _, id := range stops {
		if rn := s.runs.reply(id); rn != nil {
			rn.cancel(errStopped)
		}
	}
	if _, err := s.store.MarkInterrupted(ctx, cutoff); err != nil && !errors.Is(err, context.Canceled) {
		s.logger.Warn("sweeping orphaned replies failed", "error", err)
	}
}

// Shutdown lets the replies in progress finish until ctx ends, then stops the rest and
// stores them as interrupted with their text so far. New replies are refused meanwhile.
func (s *Service) Shutdown(ctx context.Context) error {
	runs := s.runs.close()
	all := make(chan struct{})
	go func() { s.runs.wg.Wait(); close(all) }()
	// Replies are stopped a little before the deadline, so that their streams can still
	// tell clients they were interrupted before the server closes the connections.
	var cut <-chan time.Time
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		t := time.NewTimer(left - min(2*time.Second, left/5))
		defer t.Stop()
		cut = t.C
	}
	select {
	case <-all:
	case <-cut:
	case <-ctx.Done():
	}
	select {
	case <-all:
	default:
		for _, rn := range runs {
			rn.cancel(errShutdown)
		}
		// Each run stores its final state within finishTimeout.
		select {
		case <-all:
		case <-time.After(finishTimeout + time.Second):
		}
	}
	if s.stopSweep != nil {
		s.stopSweep()
		<-s.sweepDone
	}
	return nil
}

func (g *registry) isClosing() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closing
}

// userLocation returns the user's timezone from the accounts service (UTC when unknown,
// or when none is wired).
func (s *Service) userLocation(ctx context.Context, userID string) *time.Location {
	if s.deps.Timezones == nil {
		return time.UTC
	}
	loc, err := s.deps.Timezones.UserLocation(ctx, userID)
	if err != nil || loc == nil {
		return time.UTC
	}
	return loc
}
