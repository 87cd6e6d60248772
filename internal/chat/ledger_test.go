package chat

import (
	"context"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/usage"
)

// TestRecoveryRecordsACutCall: a process that dies in the middle of a model call leaves
// the call's figures as last saved with the reply's text; the recovery that marks the
// reply interrupted records them in the ledger and the day's totals, exactly once, and
// releases the turn's reservation.
func TestRecoveryRecordsACutCall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		us := usage.NewService(d, nil, nil, clock)
		userID := testUser(t, d)
		deps := Deps{DB: d, Ledger: UsageLedger{Usage: us}, Now: clock}
		dead := New(deps)
		c, err := dead.store.CreateConversation(ctx, userID, "")
		if err != nil {
			t.Fatal(err)
		}
		reserve, err := dead.ledger.PrepareTurn(ctx, userID, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := dead.store.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: c.ID, content: "a long story", reserve: reserve})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Repeat("word ", 5300) // 26,500 characters streamed before the crash
		call := &ModelCall{UserID: userID, ConversationID: c.ID, MessageID: tr.replyID, Provider: "anthropic", Model: "claude-sonnet-4-5",
			Usage: llm.Usage{InputTokens: 120, OutputTokens: textTokens(len(text))}}
		if _, err := dead.store.SaveReplyText(ctx, tr.replyID, text, call); err != nil {
			t.Fatal(err)
		}

		// The process is gone; another one starts.
		now = now.Add(staleAfter + time.Second)
		after := New(deps)
		if err := after.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			var calls, in, out, dayIn, dayOut, reserved, convOut, held int64
			q := func(query string, dst ...any) {
				t.Helper()
				if err := d.R.QueryRowContext(ctx, query, tr.replyID).Scan(dst...); err != nil {
					t.Fatalf("%s: %v", when, err)
				}
			}
			q(`SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0) FROM usage_events WHERE message_id = $1`, &calls, &in, &out)
			q(`SELECT input_tokens, output_tokens, reserved_tokens FROM usage_daily WHERE user_id = (SELECT user_id FROM messages WHERE id = $1)`, &dayIn, &dayOut, &reserved)
			q(`SELECT output_tokens FROM usage_conversations WHERE conversation_id = (SELECT conversation_id FROM messages WHERE id = $1)`, &convOut)
			q(`SELECT COUNT(*) FROM usage_reservations WHERE message_id = $1`, &held)
			if calls != 1 || in != 120 || out != 6625 || dayIn != 120 || dayOut != 6625 || convOut != 6625 || reserved != 0 || held != 0 {
				t.Fatalf("%s: ledger %d call(s) %d in %d out; day %d in %d out %d reserved; conversation %d out; %d reservation(s)",
					when, calls, in, out, dayIn, dayOut, reserved, convOut, held)
			}
		}
		check("after recovery")
		// The reply shows what the ledger counted for it (as does its conversation).
		if m, err := after.store.Message(ctx, userID, tr.replyID); err != nil || m.Status != StatusInterrupted ||
			m.Usage.InputTokens != 120 || m.Usage.OutputTokens != 6625 {
			t.Fatalf("the cut reply: %+v (%v)", m, err)
		}
		if conv, err := after.store.Conversation(ctx, userID, c.ID); err != nil || conv.Usage.OutputTokens != 6625 {
			t.Fatalf("the conversation of the cut reply: %+v (%v)", conv, err)
		}

		// Settled once: another recovery, or a late end of the dead run, adds nothing.
		if err := after.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		call.Usage.OutputTokens = 7000
		late := *call
		if err := dead.store.FinishReply(ctx, replyOutcome{userID: userID, convID: c.ID, replyID: tr.replyID, status: StatusStopped, content: text, call: &late}); err != nil {
			t.Fatal(err)
		}
		if err := dead.ledger.RecordCall(ctx, *call); err != nil {
			t.Fatal(err)
		}
		check("after a second settlement")
	})
}

// TestFinishSettlesWithTheLastCall: a turn's end records its last model call and releases
// its reservation in one transaction; a turn reserved before midnight whose call ends
// after it gives its reservation back to the day it was reserved on and counts the call
// on the day it was made; a reply that failed before producing anything gives its
// message back.
func TestFinishSettlesWithTheLastCall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		us := usage.NewService(d, nil, nil, clock)
		userID := testUser(t, d)
		svc := New(Deps{DB: d, Ledger: UsageLedger{Usage: us}, Now: clock})
		type day struct{ messages, calls, in, out, reserved int64 }
		dayOf := func(name string) day {
			t.Helper()
			var x day
			if err := d.R.QueryRowContext(ctx, `SELECT messages, model_calls, input_tokens, output_tokens, reserved_tokens FROM usage_daily
				WHERE user_id = $1 AND day = $2`, userID, name).Scan(&x.messages, &x.calls, &x.in, &x.out, &x.reserved); err != nil {
				t.Fatalf("day %s: %v", name, err)
			}
			return x
		}
		turn := func(content string) (*Conversation, *turn) {
			t.Helper()
			c, err := svc.store.CreateConversation(ctx, userID, "")
			if err != nil {
				t.Fatal(err)
			}
			reserve, err := svc.ledger.PrepareTurn(ctx, userID, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := svc.store.BeginTurn(ctx, turnInput{kind: turnSend, userID: userID, convID: c.ID, content: content, reserve: reserve})
			if err != nil {
				t.Fatal(err)
			}
			return c, tr
		}

		c, tr := turn("before midnight")
		if got := dayOf("2026-03-02"); got.messages != 1 || got.reserved == 0 {
			t.Fatalf("while the turn runs, its day is %+v; want its message counted and its tokens reserved", got)
		}
		now = now.Add(2 * time.Minute) // the call ends on the next day
		call := &ModelCall{UserID: userID, ConversationID: c.ID, MessageID: tr.replyID, Provider: "anthropic", Model: "claude-sonnet-4-5",
			Usage: llm.Usage{InputTokens: 300, OutputTokens: 40}, At: now, Loc: time.UTC}
		if err := svc.store.FinishReply(ctx, replyOutcome{userID: userID, convID: c.ID, replyID: tr.replyID, status: StatusComplete,
			content: "an answer", provider: "anthropic", model: "claude-sonnet-4-5", call: call}); err != nil {
			t.Fatal(err)
		}
		if got, want := dayOf("2026-03-02"), (day{messages: 1}); got != want {
			t.Fatalf("the day the turn was reserved on: %+v, want %+v (its reservation released, the call elsewhere)", got, want)
		}
		if got, want := dayOf("2026-03-03"), (day{calls: 1, in: 300, out: 40}); got != want {
			t.Fatalf("the day the call was made on: %+v, want %+v", got, want)
		}

		c, tr = turn("on the same day")
		call = &ModelCall{UserID: userID, ConversationID: c.ID, MessageID: tr.replyID, Provider: "anthropic", Model: "claude-sonnet-4-5",
			Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}, At: now, Loc: time.UTC}
		if err := svc.store.FinishReply(ctx, replyOutcome{userID: userID, convID: c.ID, replyID: tr.replyID, status: StatusComplete,
			content: "another", call: call}); err != nil {
			t.Fatal(err)
		}
		if got, want := dayOf("2026-03-03"), (day{messages: 1, calls: 2, in: 400, out: 50}); got != want {
			t.Fatalf("after a turn within one day: %+v, want %+v", got, want)
		}

		c, tr = turn("refused upstream")
		call = &ModelCall{UserID: userID, ConversationID: c.ID, MessageID: tr.replyID, Provider: "anthropic", Model: "claude-sonnet-4-5",
			Usage: llm.Usage{InputTokens: 100}, At: now, Loc: time.UTC}
		if err := svc.store.FinishReply(ctx, replyOutcome{userID: userID, convID: c.ID, replyID: tr.replyID, status: StatusFailed,
			giveBack: true, call: call}); err != nil {
			t.Fatal(err)
		}
		if got, want := dayOf("2026-03-03"), (day{messages: 1, calls: 3, in: 500, out: 50}); got != want {
			t.Fatalf("after a failed turn that gives its message back: %+v, want %+v", got, want)
		}
		var held int64
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_reservations WHERE user_id = $1`, userID).Scan(&held); err != nil || held != 0 {
			t.Fatalf("%d reservations left (%v)", held, err)
		}
	})
}
