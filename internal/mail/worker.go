package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
)

// SendArgs is the job that delivers one stored message. It carries only the message id:
// the body, which may hold a sign-in link, stays out of the job table.
type SendArgs struct {
	MailID string `json:"mail_id"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "mail_send" }

// InsertOpts gives delivery a day of retries with River's backoff.
func (SendArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

// Message statuses in mail_outbox.
const (
	StatusQueued    = "queued"
	StatusDelivered = "delivered" // kept in the outbox
	StatusSent      = "sent"      // handed to Resend or SMTP; body cleared
	StatusFailed    = "failed"    // every attempt failed; the job is discarded
)

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	svc *Service
}

// Timeout bounds one delivery attempt.
func (w *sendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return 30 * time.Second }

// Work delivers the message unless an earlier attempt already did.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	s := w.svc
	var m Message
	var status string
	err := s.db.R.QueryRowContext(ctx, `SELECT kind, COALESCE(user_id, ''), to_addr, subject, text_body, html_body, status
		FROM mail_outbox WHERE id = $1`, job.Args.MailID).Scan(&m.Kind, &m.UserID, &m.To, &m.Subject, &m.Text, &m.HTML, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // deleted with its account meanwhile
	}
	if err != nil {
		return fmt.Errorf("mail: read message: %w", err)
	}
	m.ID = job.Args.MailID
	if status != StatusQueued {
		return nil
	}
	if _, isOutbox := s.sender.(Outbox); isOutbox {
		_, err = s.db.W.ExecContext(ctx, `UPDATE mail_outbox SET status = $1, sent_at = $2 WHERE id = $3`,
			StatusDelivered, db.Millis(time.Now()), job.Args.MailID)
		return err
	}
	pid, err := s.sender.Send(ctx, s.from, m)
	if err != nil {
		// The address and the cause only: never the body.
		s.logger.Warn("mail delivery failed", "mail_id", job.Args.MailID, "kind", m.Kind, "sender", s.sender.Name(), "attempt", job.Attempt, "error", err)
		if job.Attempt >= job.MaxAttempts {
			// The last attempt: the message stays unsent, and says so.
			_, _ = s.db.W.ExecContext(ctx, `UPDATE mail_outbox SET status = $1 WHERE id = $2 AND status = $3`,
				StatusFailed, job.Args.MailID, StatusQueued)
		}
		return fmt.Errorf("mail: send via %s: %w", s.sender.Name(), err)
	}
	// The recipient has the message now; its links are secrets, so the copy here goes.
	_, err = s.db.W.ExecContext(ctx, `UPDATE mail_outbox SET status = $1, sent_at = $2, provider_id = $3, text_body = '', html_body = ''
		WHERE id = $4`, StatusSent, db.Millis(time.Now()), pid, job.Args.MailID)
	if err != nil {
		return fmt.Errorf("mail: mark sent: %w", err)
	}
	s.logger.Info("mail sent", "mail_id", job.Args.MailID, "kind", m.Kind, "sender", s.sender.Name())
	return nil
}
