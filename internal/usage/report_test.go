package usage

import (
	"context"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
)

// TestReportDaysFollowTheUsersTimezone records calls on both sides of midnight in Tokyo
// and checks that they land on the Tokyo dates, whatever the date in UTC.
func TestReportDaysFollowTheUsersTimezone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// 2026-11-30 14:59:59 UTC is 23:59:59 in Tokyo; a second later it is 00:00:00 on 1 December.
		beforeMidnight := time.Date(2026, 11, 30, 14, 59, 59, 0, time.UTC)
		afterMidnight := beforeMidnight.Add(time.Second)
		clk := &fixedClock{t: afterMidnight.Add(time.Hour)}
		s := newTestService(d, clk)
		u := newUser(t, d, "u1", "free", "Asia/Tokyo")
		if _, err := d.W.ExecContext(ctx, `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ('c1', $1, 'Trip plans', 1, 1)`, u); err != nil {
			t.Fatal(err)
		}
		if err := s.Reserve(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		calls := []Call{
			{UserID: u, ConversationID: "c1", Provider: "anthropic", Model: "claude-haiku-4-5", Input: 100, Output: 10, At: beforeMidnight},
			{UserID: u, ConversationID: "c1", Provider: "anthropic", Model: "claude-haiku-4-5", Input: 200, Output: 20, At: afterMidnight},
			{UserID: u, ConversationID: "gone", Provider: "anthropic", Model: "claude-haiku-4-5", Input: 1000, Output: 100, At: afterMidnight},
		}
		for _, c := range calls {
			if err := s.Record(ctx, c); err != nil {
				t.Fatal(err)
			}
		}

		rep, err := s.Report(ctx, u, "2026-11-29", "2026-12-01")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Timezone != "Asia/Tokyo" || len(rep.Days) != 3 {
			t.Fatalf("report %+v", rep)
		}
		want := []struct {
			date          string
			input, output int64
			messages      int64
		}{{"2026-11-29", 0, 0, 0}, {"2026-11-30", 100, 10, 0}, {"2026-12-01", 1200, 120, 1}}
		for i, w := range want {
			got := rep.Days[i]
			if got.Date != w.date || got.InputTokens != w.input || got.OutputTokens != w.output || got.Messages != w.messages {
				t.Errorf("day %d: %+v, want %+v", i, got, w)
			}
		}
		// Haiku: 1300 input × 1 + 130 output × 5 = 1950 micro-dollars.
		if rep.Totals.CostMicros != 1950 || rep.Totals.CostUSD != 0.00195 {
			t.Errorf("totals %+v", rep.Totals)
		}
		if len(rep.Conversations) != 2 || rep.Conversations[0].ConversationID != "gone" || rep.Conversations[0].Title != nil ||
			rep.Conversations[1].Title == nil || *rep.Conversations[1].Title != "Trip plans" || rep.Conversations[1].InputTokens != 300 {
			t.Errorf("conversations %+v", rep.Conversations)
		}
		if rep.Today.Date != "2026-12-01" || rep.Today.ResetAt.Format(time.RFC3339) != "2026-12-02T00:00:00+09:00" {
			t.Errorf("today %+v", rep.Today)
		}
		if rep.Today.Messages.Used != 1 || *rep.Today.Messages.Remaining != 2 || rep.Today.Tokens.Used != 1320 || *rep.Today.Tokens.Remaining != 0 {
			t.Errorf("today's allowances %+v", rep.Today)
		}

		// A range holding only the day before midnight sees the first call alone.
		rep, err = s.Report(ctx, u, "2026-11-30", "2026-11-30")
		if err != nil || len(rep.Days) != 1 || rep.Days[0].InputTokens != 100 || rep.Conversations[0].InputTokens != 100 {
			t.Fatalf("one-day report %+v %v", rep, err)
		}
		// Defaults: the 30 days up to today.
		rep, err = s.Report(ctx, u, "", "")
		if err != nil || rep.From != "2026-11-02" || rep.To != "2026-12-01" || len(rep.Days) != 30 {
			t.Fatalf("default range %s..%s (%d days) %v", rep.From, rep.To, len(rep.Days), err)
		}
	})
}

func TestReportRefusesBadRanges(t *testing.T) {
	today := "2026-12-01"
	for _, tt := range []struct{ from, to, field string }{
		{"2026-13-01", "", "from"},
		{"", "yesterday", "to"},
		{"2026-12-02", "2026-12-01", "from"},
		{"2025-11-30", "2026-12-01", "from"}, // 367 days
	} {
		_, _, err := dateRange(tt.from, tt.to, today)
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid || e.Field != tt.field {
			t.Errorf("%q..%q: %v", tt.from, tt.to, err)
		}
	}
	if f, l, err := dateRange("2025-12-01", "2026-12-01", today); err != nil || l.Sub(f) != 365*24*time.Hour {
		t.Errorf("366 days refused: %v", err)
	}
}
