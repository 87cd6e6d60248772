package chat

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// testUser inserts a user row directly (the store's tests need no accounts service).
func testUser(t *testing.T, d *db.DB) string {
	t.Helper()
	id := newID()
	if _, err := d.W.Exec(`INSERT INTO users (id, email, name, created_at, updated_at) VALUES ($1, $2, 'T', 0, 0)`, id, id+"@example.com"); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestLivenessAcrossInstances: a reply whose instance keeps its heartbeat stays
// streaming; one whose instance died is marked interrupted with its text, and its
// conversation is released; a stop requested elsewhere is reported by the heartbeat.
func TestLivenessAcrossInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now()
		st := NewStore(d, func() time.Time { return now })
		userID := testUser(t, d)
		begin := func() *turn {
			c, err := st.CreateConversation(ctx, userID, "")
			if err != nil {
				t.Fatal(err)
			}
			tr, err := st.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: c.ID, content: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}
		alive, dead := begin(), begin()
		if _, err := st.SaveReplyText(ctx, dead.replyID, "partial text", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := st.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: dead.conv.ID, content: "again"}); err != errBusy {
			t.Fatalf("a second turn while replying: %v", err)
		}
		if _, err := st.RequestStop(ctx, userID, alive.replyID); err != nil {
			t.Fatal(err)
		}

		now = now.Add(staleAfter / 2)
		stops, err := st.Heartbeat(ctx, []string{alive.replyID})
		if err != nil || len(stops) != 1 || stops[0] != alive.replyID {
			t.Fatalf("heartbeat reported stops %v (%v)", stops, err)
		}
		now = now.Add(staleAfter/2 + time.Second)
		n, err := st.MarkInterrupted(ctx, now.Add(-staleAfter))
		if err != nil || n != 1 {
			t.Fatalf("marked %d (%v), want only the reply without heartbeat", n, err)
		}
		m, err := st.Message(ctx, userID, dead.replyID)
		if err != nil || m.Status != StatusInterrupted || m.Content != "partial text" {
			t.Fatalf("dead reply: %+v (%v)", m, err)
		}
		if a, _ := st.Message(ctx, userID, alive.replyID); a.Status != StatusStreaming {
			t.Fatalf("the live reply became %s", a.Status)
		}
		if _, err := st.SaveReplyText(ctx, dead.replyID, "late", nil); err != errReplyGone {
			t.Fatalf("saving into an interrupted reply: %v", err)
		}
		if _, err := st.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: dead.conv.ID, content: "again"}); err != nil {
			t.Fatalf("the conversation was not released: %v", err)
		}
	})
}

// TestRestartedInstanceFreesItsOwnReplies: on PostgreSQL a restarted instance marks the
// replies its previous run left streaming interrupted at once, without waiting for their
// lease; another live instance's reply is left alone until its heartbeat goes stale, which
// takes seconds.
func TestRestartedInstanceFreesItsOwnReplies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		deps := Deps{DB: d, Now: func() time.Time { return now }, InstanceFile: filepath.Join(t.TempDir(), "instance")}
		userID := testUser(t, d)
		begin := func(s *Service) *turn {
			c, err := s.store.CreateConversation(ctx, userID, "")
			if err != nil {
				t.Fatal(err)
			}
			tr, err := s.store.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: c.ID, content: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}
		first := New(deps)
		if err := first.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		other := New(Deps{DB: d, Now: deps.Now}) // another instance, alive
		own, theirs := begin(first), begin(other)

		// The first instance is killed and restarts at once, with its data directory.
		now = now.Add(time.Second)
		restarted := New(deps)
		if err := restarted.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		status := func(tr *turn) string {
			m, err := restarted.store.Message(ctx, userID, tr.replyID)
			if err != nil {
				t.Fatal(err)
			}
			return m.Status
		}
		if st := status(own); st != StatusInterrupted {
			t.Fatalf("the restarted instance's own orphan is %s, want interrupted at once", st)
		}
		if _, err := restarted.store.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: own.conv.ID, content: "again"}); err != nil {
			t.Fatalf("its conversation is still taken: %v", err)
		}
		want := StatusStreaming
		if d.Dialect == db.SQLite {
			want = StatusInterrupted // one instance only: every streaming reply is orphaned
		}
		if st := status(theirs); st != want {
			t.Fatalf("another instance's reply is %s, want %s", st, want)
		}
		// Another instance's dead reply is freed once its lease of a few seconds expires.
		now = now.Add(staleAfter)
		if _, err := restarted.store.MarkInterrupted(ctx, now.Add(-staleAfter)); err != nil {
			t.Fatal(err)
		}
		if st := status(theirs); st != StatusInterrupted {
			t.Fatalf("after %s another instance's dead reply is %s", staleAfter+time.Second, st)
		}
		if staleAfter > 10*time.Second {
			t.Fatalf("a dead instance's replies hold their conversations for %s", staleAfter)
		}
	})
}
