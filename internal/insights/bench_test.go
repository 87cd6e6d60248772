package insights_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// BenchmarkNight seeds 10,000 active users (ALLY_BENCH_NIGHTLY_USERS to change it), each
// with a day of two conversations of three turns and, for every third user, a thumbs-down,
// on a real instance; then it sweeps once at their night (timed), and fetches and applies
// the batch (untimed). It reports the sweep's wall time, the requests per batch, the input
// tokens per user-night as the provider counted them (ALLY_NIGHTLY_TOKENS is 60,000) and
// the estimated cost per user-night at batch price. Run it with -benchtime 1x.
func BenchmarkNight(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchNight(b, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(b.TempDir(), "ally.db")}})
	})
	b.Run("postgres", func(b *testing.B) {
		url := dbtest.PostgresURL()
		if url == "" {
			b.Skip("ALLY_TEST_POSTGRES_URL is not set")
		}
		benchNight(b, dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(b, url)}})
	})
}

func benchNight(b *testing.B, tg dbtest.Target) {
	users := 10000
	if v, err := strconv.Atoi(os.Getenv("ALLY_BENCH_NIGHTLY_USERS")); err == nil && v > 0 {
		users = v
	}
	fake := llmtest.New(llmtest.Options{Responder: reviewer})
	hs := httptest.NewServer(fake)
	b.Cleanup(hs.Close)
	fake.URL = hs.URL
	s := start(b, tg, fake, apptest.Options{Env: map[string]string{"ALLY_LOG_LEVEL": "warn"}})
	day := time.Now().UTC().Add(-2 * time.Hour)
	ids := seedDays(b, s.DB, users, day)
	s.Insights.SetClock(func() time.Time {
		return time.Date(day.Year(), day.Month(), day.Day()+1, 3, 30, 0, 0, time.UTC)
	})
	ctx := context.Background()
	for b.Loop() {
		start := time.Now()
		res, err := s.Insights.Sweep(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "sweep_s")
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(users), "sweep_us/user")
		if res.Found != users {
			b.Fatalf("sweep = %+v for %d users", res, users)
		}
	}
	b.StopTimer()
	// The instance's own hourly sweep may have taken part of the work: count every batch.
	var batches, requests int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(requests), 0) FROM nightly_batches`).Scan(&batches, &requests); err != nil {
		b.Fatal(err)
	}
	if requests != users {
		b.Fatalf("%d requests in %d batches for %d users", requests, batches, users)
	}
	b.ReportMetric(float64(requests)/float64(batches), "requests/batch")
	for _, id := range fake.Batches() {
		for i := 0; i < 5; i++ {
			if err := s.Insights.Poll(ctx, id); err == nil {
				break
			}
		}
	}
	var done int
	var input, cost float64
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(AVG(input_tokens), 0), COALESCE(AVG(cost_micros), 0)
		FROM nightly_runs WHERE status IN ('answered', 'done')`).Scan(&done, &input, &cost); err != nil {
		b.Fatal(err)
	}
	if done != len(ids) {
		b.Fatalf("%d of %d user-nights answered", done, len(ids))
	}
	b.ReportMetric(input, "input_tokens/user-night")
	b.ReportMetric(cost/1e6, "usd/user-night")
}

// seedDays inserts users with a day of conversations at day (SQL, in bulk: the benchmark
// measures the night, not the chatting).
func seedDays(b *testing.B, d *db.DB, users int, day time.Time) []string {
	b.Helper()
	ctx := context.Background()
	at := db.Millis(day)
	userText := "Could you help me plan a three-day trip to Lisbon in spring, with a budget and some food tips? " // ~100 chars
	reply := strings.Repeat("Here is a plan that balances sights, food and rest, with costs for each day. ", 6)
	var ids []string
	const chunk = 250
	for start := 0; start < users; start += chunk {
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			for u := start; u < min(start+chunk, users); u++ {
				uid := rand.Text()
				ids = append(ids, uid)
				if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, plan, timezone, email_verified_at, created_at, updated_at)
					VALUES ($1, $2, 'Bench', 'free', 'UTC', $3, $3, $3)`, uid, fmt.Sprintf("bench-%d@example.com", u), at); err != nil {
					return err
				}
				for c := 0; c < 2; c++ {
					cid := rand.Text()
					if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, user_id, title, created_at, updated_at)
						VALUES ($1, $2, 'Trip', $3, $3)`, cid, uid, at); err != nil {
						return err
					}
					for m := 0; m < 6; m++ {
						role, content := "user", userText
						if m%2 == 1 {
							role, content = "assistant", reply
						}
						mid := rand.Text()
						if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
							VALUES ($1, $2, $3, $4, $5, $6, 'complete', $7, $7)`, mid, cid, uid, m+1, role, content, at+int64(m)); err != nil {
							return err
						}
						if u%3 == 0 && c == 0 && m == 1 {
							if _, err := tx.ExecContext(ctx, `INSERT INTO message_feedback (message_id, user_id, rating, reason, created_at)
								VALUES ($1, $2, 'down', 'too long', $3)`, mid, uid, at+10); err != nil {
								return err
							}
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	return ids
}
