// Package mail sends Ally's email. Every message is first stored in the mail_outbox table,
// in the same transaction as the change that causes it, together with a job that delivers
// it; the job retries until the configured sender (ALLY_MAILER) accepts it. The default
// sender, outbox, only marks the stored message delivered: operators read it with
// `ally mail list` and in the admin area.
package mail

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
)

// Message is one email.
type Message struct {
	// ID is the stored message's id (set when it is delivered).
	ID string
	// Kind names what the message is about (verify_email, password_reset, …).
	Kind string
	// UserID is the account the message concerns, if any (for export and deletion).
	UserID  string
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers a stored message. It returns the provider's id for the message, if any.
type Sender interface {
	Name() string
	Send(ctx context.Context, from string, m Message) (providerID string, err error)
}

// Service stores and sends email.
type Service struct {
	db        *db.DB
	queue     func() *jobs.Queue
	sender    Sender
	from      string
	publicURL string
	logger    *slog.Logger
}

// New builds the service with the sender ALLY_MAILER selects. queue returns the job
// queue, which is built after the services are wired.
func New(cfg config.Config, d *db.DB, queue func() *jobs.Queue, logger *slog.Logger) (*Service, error) {
	sender, err := NewSender(cfg)
	if err != nil {
		return nil, err
	}
	from := cfg.MailFrom
	if from == "" {
		from = "Ally <ally@localhost>"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d, queue: queue, sender: sender, from: from, publicURL: cfg.PublicURL, logger: logger}, nil
}

// NewSender returns the sender ALLY_MAILER selects.
func NewSender(cfg config.Config) (Sender, error) {
	switch cfg.Mailer {
	case "", "outbox":
		return Outbox{}, nil
	case "resend":
		return NewResend(cfg.ResendAPIKey, cfg.ResendBaseURL)
	case "smtp":
		return NewSMTP(SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword, Security: cfg.SMTPTLS}), nil
	}
	return nil, fmt.Errorf("mail: unknown ALLY_MAILER %q", cfg.Mailer)
}

// Register adds the delivery worker.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &sendWorker{svc: s})
}

// PublicURL returns the base URL links in emails start with.
func (s *Service) PublicURL() string { return s.publicURL }

// Enqueue stores m and schedules its delivery inside tx: the message is sent exactly when
// tx commits.
// A caller that sets m.ID chooses the stored message's id (a retried delivery then finds
// its message already stored: a unique violation).
func (s *Service) Enqueue(ctx context.Context, tx *sql.Tx, m Message) error {
	id := m.ID
	if id == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	var user sql.NullString
	if m.UserID != "" {
		user = sql.NullString{String: m.UserID, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, user_id, kind, to_addr, subject, text_body, html_body, sender, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, user, m.Kind, m.To, m.Subject, m.Text, m.HTML, s.sender.Name(), db.Millis(time.Now())); err != nil {
		return fmt.Errorf("mail: store message: %w", err)
	}
	if _, err := s.queue().Insert(ctx, tx, SendArgs{MailID: id}, nil); err != nil {
		return err
	}
	return nil
}

// Send renders a template and enqueues it inside tx.
func (s *Service) Send(ctx context.Context, tx *sql.Tx, kind, userID, to string, data map[string]any) error {
	m, err := Render(kind, data)
	if err != nil {
		return err
	}
	m.UserID, m.To = userID, to
	return s.Enqueue(ctx, tx, m)
}
