package privacy_test

import (
	"context"
	"testing"
	"time"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/privacy"
)

// TestRetention: with the clock at a fixed day, rows just past their rule's age go and rows
// just within it stay: raw usage, daily and per-conversation usage aggregates (by their
// last activity) and feedback after 12 months,
// email after 30 days (sign-in history is the accounts feature's own job). Nothing else is
// touched.
func TestRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
		yearAgo := now.AddDate(0, -12, 0)
		old, recent := yearAgo.Add(-time.Hour), yearAgo.Add(time.Hour)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.W.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('u', 'u@example.com', 'U', 0, 0)`)
		exec(`INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES ('c', 'u', 0, 0)`)
		exec(`INSERT INTO messages (id, conversation_id, user_id, seq, role, status, created_at, updated_at) VALUES ('m', 'c', 'u', 1, 'assistant', 'complete', 0, 0)`)
		for i, at := range []time.Time{old, recent} {
			id := []string{"old", "recent"}[i]
			exec(`INSERT INTO usage_events (id, user_id, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, day, created_at)
				VALUES ($1, 'u', 'anthropic', 'm', 1, 1, 0, 0, 1, $2, $3)`, id, at.Format("2006-01-02"), db.Millis(at))
			exec(`INSERT INTO message_feedback (message_id, user_id, rating, reason, created_at) VALUES ('m', 'u', 'up', $1, $2)`, id, db.Millis(at))
			exec(`INSERT INTO usage_conversations (user_id, conversation_id, updated_at) VALUES ('u', $1, $2)`, id, db.Millis(at))
		}
		for i, at := range []time.Time{now.AddDate(0, 0, -30).Add(-time.Hour), now.AddDate(0, 0, -30).Add(time.Hour)} {
			exec(`INSERT INTO mail_outbox (id, user_id, kind, to_addr, subject, text_body, html_body, created_at)
				VALUES ($1, 'u', 'verify', 'u@example.com', 's', 't', 'h', $2)`, []string{"old", "recent"}[i], db.Millis(at))
		}
		exec(`INSERT INTO usage_daily (user_id, day, updated_at) VALUES ('u', $1, 0), ('u', $2, 0)`,
			yearAgo.AddDate(0, 0, -1).Format("2006-01-02"), yearAgo.Format("2006-01-02"))

		s, err := privacy.New(privacy.Deps{Config: config.Config{DeletionGrace: 720 * time.Hour}, DB: d})
		if err != nil {
			t.Fatal(err)
		}
		s.SetClock(func() time.Time { return now })
		got, err := s.ApplyRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"usage_events", "usage_daily", "usage_conversations", "message_feedback", "mail_outbox"} {
			if got[table] != 1 {
				t.Errorf("%s: retention deleted %d rows, want 1", table, got[table])
			}
			var n int
			if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 1 {
				t.Errorf("%s: %d rows left (%v), want the recent one", table, n, err)
			}
		}
		var kept string
		if err := d.R.QueryRowContext(ctx, `SELECT day FROM usage_daily`).Scan(&kept); err != nil || kept != yearAgo.Format("2006-01-02") {
			t.Errorf("usage_daily kept day %q (%v)", kept, err)
		}
		var msgs int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&msgs); err != nil || msgs != 1 {
			t.Errorf("retention touched messages: %d", msgs)
		}
		// A second run finds nothing more to do.
		got, err = s.ApplyRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range got {
			if n != 0 {
				t.Errorf("%s: second run deleted %d rows", table, n)
			}
		}
	})
}
