package privacy_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// replyStatus polls until the user's latest assistant reply has a status other than
// skip, or the deadline passes.
func replyStatus(t *testing.T, s *apptest.Server, userID, skip string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var st string
		err := s.DB.R.QueryRowContext(context.Background(), `SELECT status FROM messages
			WHERE user_id = $1 AND role = 'assistant' ORDER BY created_at DESC LIMIT 1`, userID).Scan(&st)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		if st != "" && st != skip {
			return st
		}
		time.Sleep(20 * time.Millisecond) // polling for async work, not waiting for time
	}
	t.Fatalf("the reply stayed %q", skip)
	return ""
}

// TestDeletionStopsRepliesInProgress: a reply being generated when the account is deleted
// is stopped and stored as stopped.
func TestDeletionStopsRepliesInProgress(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake.URL,
		}})
		uid, tok := authtest.NewUser(t, s)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Stall: true})
		var conv struct{ ID string }
		must(t, s.Do("POST", "/api/v1/conversations", tok, map[string]any{}), http.StatusCreated, "conversation").JSON(t, &conv)

		streamDone := make(chan error, 1)
		go func() {
			req, _ := http.NewRequest("POST", s.URL+"/api/v1/conversations/"+conv.ID+"/messages", bytes.NewReader([]byte(`{"content":"hello"}`)))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			streamDone <- err
		}()
		if st := replyStatus(t, s, uid, ""); st != "streaming" {
			t.Fatalf("reply status %q before the deletion, want streaming", st)
		}
		must(t, s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}), http.StatusOK, "delete")
		if st := replyStatus(t, s, uid, "streaming"); st != "stopped" {
			t.Fatalf("reply status %q after the deletion, want stopped", st)
		}
		select {
		case <-streamDone:
		case <-time.After(20 * time.Second):
			t.Fatal("the reply's stream did not end")
		}
	})
}
