package auth_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/mail"
)

// start runs an instance with extra settings.
func start(t *testing.T, tg dbtest.Target, env map[string]string) *apptest.Server {
	t.Helper()
	return apptest.Start(t, tg, apptest.Options{Env: env})
}

// clock is a settable time source shared by the service and the rate limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withClock gives s a clock starting now.
func withClock(s *apptest.Server) *clock {
	c := &clock{now: time.Now()}
	s.Auth.SetClock(c.Now)
	return c
}

// settle waits until the jobs behind password-reset and resend requests have run, so
// the messages they send (or do not send) are in the outbox.
func settle(t *testing.T, s *apptest.Server) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		err := s.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job
			WHERE kind = 'auth_account_mail' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d account mail jobs never ran", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mails returns the stored messages to an address, newest first, once pending account
// mail jobs have run.
func mails(t *testing.T, s *apptest.Server, to string) []mail.Stored {
	t.Helper()
	settle(t, s)
	list, err := mail.List(context.Background(), s.DB, mail.Filter{To: to, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// lastMail returns the newest message to an address of a kind, failing when there is none.
func lastMail(t *testing.T, s *apptest.Server, to, kind string) mail.Stored {
	t.Helper()
	for _, m := range mails(t, s, to) {
		if m.Kind == kind {
			return m
		}
	}
	t.Fatalf("no %s email to %s", kind, to)
	return mail.Stored{}
}

var tokenInLink = regexp.MustCompile(`\?token=([A-Za-z0-9_-]+)`)

// linkToken extracts the token of the link in a message.
func linkToken(t *testing.T, m mail.Stored) string {
	t.Helper()
	g := tokenInLink.FindStringSubmatch(m.Text)
	if g == nil {
		t.Fatalf("no link with a token in %q", m.Subject)
	}
	if !strings.Contains(m.HTML, g[1]) {
		t.Fatalf("the HTML part lacks the link")
	}
	return g[1]
}

// signup creates an account through the API and returns its verification token.
func signup(t *testing.T, s *apptest.Server, email, password string) string {
	t.Helper()
	res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "Ann", "email": email, "password": password, "age_confirmed": true})
	if res.Status != http.StatusAccepted {
		t.Fatalf("signup: %d %s", res.Status, res.Body)
	}
	return linkToken(t, lastMail(t, s, email, "verify_email"))
}

// login signs in through the API and returns the token.
func login(t *testing.T, s *apptest.Server, email, password string) string {
	t.Helper()
	res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var out struct{ Token string }
	res.JSON(t, &out)
	return out.Token
}
