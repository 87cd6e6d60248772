package mail_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/mail"
)

// send stores a verification email through the service, as features do.
func send(t *testing.T, s *apptest.Server, to string) {
	t.Helper()
	ctx := context.Background()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		return s.Mail.Send(ctx, tx, "verify_email", "", to, map[string]any{"Name": "Ann", "Link": s.Mail.PublicURL() + "/verify-email?token=t0k3n"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitStatus polls the outbox until the message to `to` has the status.
func waitStatus(t *testing.T, s *apptest.Server, to, status string) mail.Stored {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := mail.List(context.Background(), s.DB, mail.Filter{To: to})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Status == status {
			return list[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("message to %s never reached %q: %+v", to, status, list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOutboxDelivers: with the default sender the job marks the stored message delivered
// and keeps it, with both parts, for the operator.
func TestOutboxDelivers(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{"ALLY_PUBLIC_URL": "https://ally.example"}})
		send(t, s, "ann@example.com")
		m := waitStatus(t, s, "ann@example.com", mail.StatusDelivered)
		if m.Subject == "" || m.Text == "" || m.HTML == "" || m.Kind != "verify_email" {
			t.Fatalf("stored message incomplete: %+v", m)
		}
		if want := "https://ally.example/verify-email?token=t0k3n"; !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Fatalf("the link does not use ALLY_PUBLIC_URL: %s", m.Text)
		}
	})
}

// fakeResend speaks Resend's POST /emails: bearer key, JSON body, {"id"} answer. It fails
// the first attempt with 500 so retries are exercised.
type fakeResend struct {
	mu       sync.Mutex
	requests []resendRequest
}

type resendRequest struct {
	Auth, IdempotencyKey string
	Body                 struct {
		From, Subject, HTML, Text string
		To                        []string
	}
}

func (f *fakeResend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/emails" {
		http.Error(w, `{"message":"not found"}`, 404)
		return
	}
	var req resendRequest
	req.Auth, req.IdempotencyKey = r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key")
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &req.Body); err != nil {
		http.Error(w, `{"message":"bad json"}`, 422)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	n := len(f.requests)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if n == 1 {
		w.WriteHeader(500)
		w.Write([]byte(`{"statusCode":500,"name":"internal_server_error","message":"try again"}`))
		return
	}
	w.Write([]byte(`{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}`))
}

// TestResendSender covers MAIL-2: the official SDK against a fake of Resend's API, a
// failed attempt retried by the job queue with the same idempotency key, and the body
// cleared once sent.
func TestResendSender(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := &fakeResend{}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_MAILER": "resend", "ALLY_RESEND_API_KEY": "re_test_key", "ALLY_RESEND_BASE_URL": srv.URL,
			"ALLY_MAIL_FROM": "Ally <ally@example.com>",
		}})
		send(t, s, "ann@example.com")
		m := waitStatus(t, s, "ann@example.com", mail.StatusSent)
		if m.Text != "" || m.HTML != "" {
			t.Fatal("the body of a sent message was kept")
		}
		fake.mu.Lock()
		defer fake.mu.Unlock()
		if len(fake.requests) != 2 {
			t.Fatalf("%d requests, want a failure and a retry", len(fake.requests))
		}
		a, b := fake.requests[0], fake.requests[1]
		if b.Auth != "Bearer re_test_key" || b.Body.From != "Ally <ally@example.com>" || len(b.Body.To) != 1 || b.Body.To[0] != "ann@example.com" ||
			b.Body.Subject == "" || b.Body.Text == "" || b.Body.HTML == "" {
			t.Fatalf("request %+v", b)
		}
		if a.IdempotencyKey == "" || a.IdempotencyKey != b.IdempotencyKey {
			t.Fatalf("idempotency keys %q, %q", a.IdempotencyKey, b.IdempotencyKey)
		}
	})
}
