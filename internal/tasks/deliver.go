package tasks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/mail"
)

// Channel delivers a run's result somewhere the user reads it. Channels are registered by
// name with AddChannel (Telegram adds its own), and a delivery retries as its own job.
type Channel interface {
	// Name is the channel's name in a task's channels (in_app, email, telegram).
	Name() string
	// Deliver sends the result and returns the provider's id for it, if any. It may be
	// called again for the same delivery after a failure: DeliveryID is stable.
	Deliver(ctx context.Context, d Delivered) (providerID string, err error)
}

// ReadyChecker is implemented by a channel that needs the user's own setup (Telegram: a
// linked chat); a task choosing it is refused with Ready's error until then.
type ReadyChecker interface {
	Ready(ctx context.Context, userID string) error
}

// Delivered is one run result to deliver.
type Delivered struct {
	DeliveryID, UserID, TaskID, RunID, TaskTitle string
	ConversationID, MessageID, Text              string
	ScheduledFor                                 time.Time
	Loc                                          *time.Location
}

// AddChannel registers a delivery channel, replacing one of the same name.
func (s *Service) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.Name()] = c
}

func (s *Service) channel(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[name]
	return c, ok
}

// ChannelNames lists the registered channels.
func (s *Service) ChannelNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.channels))
	for n := range s.channels {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DeliverArgs is the job delivering one run result to one channel.
type DeliverArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "task_deliver" }

// DeliverAttempts is how often a delivery is tried.
const DeliverAttempts = 8

// InsertOpts retries a delivery with River's backoff.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: DeliverAttempts}
}

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Timeout bounds one delivery attempt.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return time.Minute }

// Work delivers unless an earlier attempt did; the row records sent with the provider's
// id, or the error (failed after the last attempt).
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.s
	var d Delivered
	var channel, status, tz string
	var sched int64
	err := s.d.DB.R.QueryRowContext(ctx, `SELECT d.channel, d.status, d.user_id, r.id, r.scheduled_for, r.message_id,
		t.id, t.title, t.conversation_id, t.timezone
		FROM task_deliveries d JOIN task_runs r ON r.id = d.run_id JOIN tasks t ON t.id = r.task_id
		WHERE d.id = $1`, job.Args.DeliveryID).Scan(&channel, &status, &d.UserID, &d.RunID, &sched, &d.MessageID,
		&d.TaskID, &d.TaskTitle, &d.ConversationID, &tz)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // deleted with its task or account
	}
	if err != nil {
		return fmt.Errorf("tasks: read delivery: %w", err)
	}
	if status != DeliveryPending {
		return nil
	}
	d.DeliveryID, d.ScheduledFor = job.Args.DeliveryID, db.Time(sched)
	if d.Loc, err = time.LoadLocation(tz); err != nil {
		d.Loc = time.UTC
	}
	if d.Text, err = s.d.Assistant.ReplyText(ctx, d.UserID, d.MessageID); err != nil {
		return err
	}
	ch, ok := s.channel(channel)
	var pid string
	if !ok {
		err = errs.E(errs.Unavailable, "the %s channel is not available", channel)
	} else {
		pid, err = ch.Deliver(ctx, d)
	}
	now := db.Millis(s.now())
	if err == nil {
		_, err = s.d.DB.Exec(ctx, `UPDATE task_deliveries SET status = $1, provider_id = $2, error = '', attempts = $3, sent_at = $4
			WHERE id = $5`, DeliverySent, pid, job.Attempt, now, d.DeliveryID)
		return err
	}
	msg := runError(err)
	st := DeliveryPending
	if job.Attempt >= job.MaxAttempts || !ok {
		st = DeliveryFailed
	}
	if _, uerr := s.d.DB.Exec(ctx, `UPDATE task_deliveries SET status = $1, error = $2, attempts = $3 WHERE id = $4`,
		st, msg, job.Attempt, d.DeliveryID); uerr != nil {
		return errors.Join(err, uerr)
	}
	if st == DeliveryFailed {
		return nil
	}
	return err
}

// inAppChannel: the result is in the task's conversation already; the conversation is
// marked unread.
type inAppChannel struct{ s *Service }

func (inAppChannel) Name() string { return "in_app" }

func (c inAppChannel) Deliver(ctx context.Context, d Delivered) (string, error) {
	if err := c.s.d.Assistant.MarkUnread(ctx, d.UserID, d.ConversationID); err != nil {
		return "", err
	}
	return d.MessageID, nil
}

// emailChannel mails the result through the outbox; the message's id is the delivery's,
// so a retry after a stored message finds it instead of sending it twice.
type emailChannel struct{ s *Service }

func (emailChannel) Name() string { return "email" }

func (c emailChannel) Deliver(ctx context.Context, d Delivered) (string, error) {
	acct, err := c.s.d.Accounts.Account(ctx, d.UserID)
	if err != nil {
		return "", err
	}
	m, err := renderMail("task_result", map[string]any{"Name": acct.Name, "Title": d.TaskTitle, "Text": d.Text,
		"When": d.ScheduledFor.In(d.Loc).Format("Monday 2 January 2006, 15:04 MST"),
		"Link": c.s.d.PublicURL + "/c/" + d.ConversationID})
	if err != nil {
		return "", err
	}
	m.ID, m.UserID, m.To = d.DeliveryID, d.UserID, acct.Email
	err = c.s.d.DB.Tx(ctx, func(tx *sql.Tx) error { return c.s.d.Mail.Enqueue(ctx, tx, m) })
	if err != nil && !db.IsUniqueViolation(err) {
		return "", err
	}
	return m.ID, nil
}

func renderMail(kind string, data map[string]any) (mail.Message, error) {
	return mail.Render(kind, data)
}
