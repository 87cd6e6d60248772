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
		if err := dead.store.FinishReply(ctx, replyOutcome{userID: userID, convID: c.ID, replyID: tr.replyID, status: StatusStopped, content: text}); err != nil {
			t.Fatal(err)
		}
		call.Usage.OutputTokens = 7000
		if err := dead.ledger.RecordCall(ctx, *call); err != nil {
			t.Fatal(err)
		}
		check("after a second settlement")
	})
}
