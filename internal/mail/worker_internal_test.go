package mail

import (
	"context"
	"database/sql"
	"net"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/jobs"
)

// TestLastFailedAttemptMarksTheMessageFailed: a delivery that fails keeps its message
// queued for the retries; the last failed attempt marks it failed, so the outbox (and the
// progress of a mailing) says it never went.
func TestLastFailedAttemptMarksTheMessageFailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close() // nothing listens there: every SMTP attempt fails
		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(d, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(config.Config{Mailer: "smtp", SMTPHost: "127.0.0.1", SMTPPort: port, SMTPTLS: "none"}, d, func() *jobs.Queue { return q }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			return svc.Enqueue(ctx, tx, Message{ID: "m1", Kind: "policy_change", To: "a@example.com", Subject: "s", Text: "t", HTML: "h"})
		}); err != nil {
			t.Fatal(err)
		}
		w := &sendWorker{svc: svc}
		status := func() string {
			var s string
			if err := d.R.QueryRowContext(ctx, `SELECT status FROM mail_outbox WHERE id = 'm1'`).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		for _, tc := range []struct {
			attempt int
			want    string
		}{{1, StatusQueued}, {11, StatusQueued}, {12, StatusFailed}} {
			job := &river.Job[SendArgs]{JobRow: &rivertype.JobRow{Attempt: tc.attempt, MaxAttempts: 12}, Args: SendArgs{MailID: "m1"}}
			if err := w.Work(ctx, job); err == nil {
				t.Fatalf("attempt %d: delivery to a closed port succeeded", tc.attempt)
			}
			if got := status(); got != tc.want {
				t.Fatalf("after attempt %d of 12: status %s, want %s", tc.attempt, got, tc.want)
			}
		}
	})
}
