package auth_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestSignInHistoryRetention covers ACC-8 / PRIV-4: the retention job, run by the job
// queue, deletes sign-in history older than 90 days and keeps the rest.
func TestSignInHistoryRetention(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		clk := withClock(s)
		uid, _ := authtest.NewUser(t, s, authtest.Email("old@example.com"))
		clk.Advance(-91 * 24 * time.Hour)
		login(t, s, "old@example.com", authtest.Password) // recorded 91 days ago
		clk.Advance(91 * 24 * time.Hour)
		tok := login(t, s, "old@example.com", authtest.Password)

		count := func() int {
			var n int
			_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM sign_ins WHERE user_id = $1`, uid).Scan(&n)
			return n
		}
		if count() != 2 {
			t.Fatalf("%d sign-ins recorded, want 2", count())
		}
		ctx := context.Background()
		if err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			_, err := s.Jobs.Insert(ctx, tx, auth.RetentionArgs{}, nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for count() != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("the retention job did not run: %d sign-ins", count())
			}
			time.Sleep(50 * time.Millisecond)
		}
		var out struct {
			SignIns []struct {
				CreatedAt time.Time `json:"created_at"`
			} `json:"sign_ins"`
		}
		s.Do("GET", "/api/v1/me/sign-ins", tok, nil).JSON(t, &out)
		if len(out.SignIns) != 1 || time.Since(out.SignIns[0].CreatedAt) > time.Hour {
			t.Fatalf("history after retention: %+v", out)
		}
	})
}
