package chat

import (
	"context"
	"database/sql"
	"fmt"

	"myally.app/ally/internal/db"
)

// StopUserReplies stops every reply of userID in progress, for the deletion of their
// account: it sets the stop request that every instance watches for (the one
// POST /api/v1/messages/{id}/stop makes) in tx, the deletion's transaction, so that it
// reaches replies generated elsewhere, and stops this instance's own replies at once
// rather than at their next save or heartbeat.
//
// The local replies are stopped before tx commits. Waiting for the commit would leave
// them streaming into an account being deleted; stopping them early costs nothing if the
// deletion is rolled back after all: a stopped reply keeps its text, and the user can ask
// again.
func (s *Service) StopUserReplies(ctx context.Context, tx *sql.Tx, userID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET stop_requested_at = $1
		WHERE user_id = $2 AND status = 'streaming' AND stop_requested_at IS NULL`, db.Millis(s.now()), userID); err != nil {
		return fmt.Errorf("chat: stop the user's replies: %w", err)
	}
	for _, rn := range s.runs.ofUser(userID) {
		rn.cancel(errStopped)
	}
	return nil
}

// ofUser returns the runs in progress here for userID.
func (g *registry) ofUser(userID string) []*run {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*run
	for _, r := range g.byReply {
		if r.userID == userID {
			out = append(out, r)
		}
	}
	return out
}
