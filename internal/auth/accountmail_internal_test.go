package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/mail"
)

// workTables are the tables a password-reset or resend request could write.
var workTables = []string{"users", "account_tokens", "mail_outbox", "river_job", "rate_limits", "sessions", "sign_ins"}

// work is what one request did to the database.
type work struct {
	rows   map[string]int // change in row count per table
	writes int64          // write transactions committed
	jobs   []string       // kinds of the jobs it inserted
}

func measure(t testing.TB, u *unit, fn func()) work {
	t.Helper()
	before := map[string]int{}
	for _, tb := range workTables {
		before[tb] = count(t, u.d, tb)
	}
	w0 := u.d.WriteTransactions()
	fn()
	out := work{rows: map[string]int{}, writes: u.d.WriteTransactions() - w0}
	for _, tb := range workTables {
		out.rows[tb] = count(t, u.d, tb) - before[tb]
	}
	for _, a := range u.queue.take() {
		out.jobs = append(out.jobs, a.Kind())
	}
	return out
}

func (w work) String() string {
	return fmt.Sprintf("rows %v, jobs %v", w.rows, w.jobs)
}

// TestAccountMailSameWork: a password-reset or resend request for a registered address
// answers exactly like one for an unknown address and does the same work before answering
// (one job, the same rows and write transactions, no lookup); the link reaches the
// registered address once the job runs, and nothing is sent to the unknown one.
func TestAccountMailSameWork(t *testing.T) {
	routes := []struct{ path, kind string }{
		{"/api/v1/auth/password-reset", "password_reset"},
		{"/api/v1/auth/verify-email/resend", "verify_email"},
	}
	for _, rt := range routes {
		t.Run(rt.kind, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				u := newUnit(t, d)
				if _, err := u.CreateUser(ctx, NewUser{Email: "ann@example.com", Name: "Ann", Password: "a perfectly fine passphrase"}); err != nil {
					t.Fatal(err)
				}
				// Each from its own client, so each starts its own rate-limit counters.
				var known, unknown *httptest.ResponseRecorder
				wk := measure(t, u, func() { known = u.do("POST", rt.path, `{"email":"ann@example.com"}`, "192.0.2.1:1000") })
				wu := measure(t, u, func() { unknown = u.do("POST", rt.path, `{"email":"nobody@example.com"}`, "192.0.2.2:1000") })
				if known.Code != http.StatusAccepted || unknown.Code != known.Code || known.Body.String() != unknown.Body.String() {
					t.Fatalf("answers differ: %d %s vs %d %s", known.Code, known.Body, unknown.Code, unknown.Body)
				}
				if wk.String() != wu.String() || wk.writes != wu.writes {
					t.Fatalf("registered address: %v (%d writes); unknown: %v (%d writes)", wk, wk.writes, wu, wu.writes)
				}
				if len(wk.jobs) != 1 || wk.rows["mail_outbox"] != 0 || wk.rows["account_tokens"] != 0 {
					t.Fatalf("the request did more than enqueue one job: %v", wk)
				}

				mailsTo := func(to string) int {
					list, err := mail.List(ctx, d, mail.Filter{To: to})
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, m := range list {
						if m.Kind == rt.kind {
							n++
						}
					}
					return n
				}
				if n := mailsTo("ann@example.com"); n != 0 {
					t.Fatalf("%d emails before the job ran", n)
				}
				for _, to := range []string{"ann@example.com", "nobody@example.com"} {
					if err := u.sendAccountMail(ctx, AccountMailArgs{Purpose: purposeFor(rt.kind), Email: to}); err != nil {
						t.Fatal(err)
					}
				}
				if k, n := mailsTo("ann@example.com"), mailsTo("nobody@example.com"); k != 1 || n != 0 {
					t.Fatalf("after the jobs: %d emails to the registered address, %d to the unknown one", k, n)
				}
			})
		})
	}
}

func purposeFor(kind string) string {
	if kind == "password_reset" {
		return purposePasswordReset
	}
	return purposeVerifyEmail
}

// BenchmarkAccountMailRequest times a password-reset request for a registered and for an
// unknown address; the two should be indistinguishable.
func BenchmarkAccountMailRequest(b *testing.B) {
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		b.Run(strings.Split(email, "@")[0], func(b *testing.B) {
			d := dbtest.Open(b, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: b.TempDir() + "/ally.db"}})
			u := newUnit(b, d)
			u.limiter.lenient = true
			if _, err := u.CreateUser(context.Background(), NewUser{Email: "ann@example.com", Name: "Ann", Password: "a perfectly fine passphrase"}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if w := u.do("POST", "/api/v1/auth/password-reset", `{"email":"`+email+`"}`); w.Code != http.StatusAccepted {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
