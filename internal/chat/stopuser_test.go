package chat

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestStopUserReplies: deleting an account stops its replies: the stop request is set in
// the deletion's transaction at the service's clock, for other instances, and the
// replies this instance generates are stopped at once, not at their next heartbeat.
// Another user's reply goes on.
func TestStopUserReplies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		s := New(Deps{DB: d, Now: func() time.Time { return now }})
		begin := func(userID string) (*turn, context.Context) {
			c, err := s.store.CreateConversation(ctx, userID, "")
			if err != nil {
				t.Fatal(err)
			}
			tr, err := s.store.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: c.ID, content: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancelCause(ctx)
			if !s.runs.add(newRun(tr.replyID, c.ID, userID, cancel)) {
				t.Fatal("run refused")
			}
			return tr, rctx
		}
		leaving, stays := testUser(t, d), testUser(t, d)
		mine, mineCtx := begin(leaving)
		_, otherCtx := begin(stays)

		if err := d.Tx(ctx, func(tx *sql.Tx) error { return s.StopUserReplies(ctx, tx, leaving) }); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(context.Cause(mineCtx), errStopped) {
			t.Fatalf("the deleted user's reply here was not stopped at once: %v", context.Cause(mineCtx))
		}
		if otherCtx.Err() != nil {
			t.Fatal("another user's reply was stopped")
		}
		var at sql.NullInt64
		if err := d.R.QueryRowContext(ctx, `SELECT stop_requested_at FROM messages WHERE id = $1`, mine.replyID).Scan(&at); err != nil {
			t.Fatal(err)
		}
		if !at.Valid || at.Int64 != db.Millis(now) {
			t.Fatalf("stop requested at %v, want the service's clock %d", at, db.Millis(now))
		}
	})
}
