package changelog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/mail"
)

// The mailing of a policy change runs in two kinds of job. The fan-out splits the users
// who had an account when the change was published into batches, once (policy_mailings
// is keyed by the entry); each batch job queues one email per user of its batch, each in
// the transaction that inserts the user's policy_notices row, whose key (entry, user)
// makes a second attempt, a second job or a second instance queue nothing again.
//
// Who is mailed: every account that is active when its batch runs (not deleted, not
// suspended), whether or not its address is verified: the notice is a legal one owed to
// every account holder, and an unverified account already gets its mail at that address.

// FanoutArgs is the job that splits a policy change's mailing into batches.
type FanoutArgs struct {
	EntryID string `json:"entry_id"`
}

// Kind implements river.JobArgs.
func (FanoutArgs) Kind() string { return "policy_notice_fanout" }

// BatchArgs is the job that mails one batch of users.
type BatchArgs struct {
	EntryID string `json:"entry_id"`
	Seq     int64  `json:"seq"`
}

// Kind implements river.JobArgs.
func (BatchArgs) Kind() string { return "policy_notice_batch" }

// InsertOpts gives a batch retries with River's backoff; a retry queues only the
// notices the failed attempt did not commit.
func (BatchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

type fanoutWorker struct {
	river.WorkerDefaults[FanoutArgs]
	s *Service
}

// Work splits the mailing into batches.
func (w *fanoutWorker) Work(ctx context.Context, job *river.Job[FanoutArgs]) error {
	_, err := w.s.Fanout(ctx, job.Args.EntryID)
	return err
}

type batchWorker struct {
	river.WorkerDefaults[BatchArgs]
	s *Service
}

// Work mails one batch.
func (w *batchWorker) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	_, err := w.s.RunBatch(ctx, job.Args.EntryID, job.Args.Seq)
	return err
}

// Fanout splits the mailing of a published policy change into batches and queues a job
// for each, in one transaction; run again it finds the split made and does nothing. It
// returns the number of batches it queued.
func (s *Service) Fanout(ctx context.Context, entryID string) (int, error) {
	e, err := s.Entry(ctx, entryID)
	if err != nil {
		return 0, err
	}
	if e.Status != StatusPublished || !e.PolicyChange || e.PublishedAt == nil {
		return 0, nil
	}
	queued := 0
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		queued = 0
		// Only users who had an account when the change was published: a later sign-up
		// accepts the policy as it stands and sees the entry in What's new.
		rows, err := tx.QueryContext(ctx, `SELECT id FROM users WHERE created_at <= $1 AND status = 'active' AND deleted_at IS NULL ORDER BY id`,
			db.Millis(*e.PublishedAt))
		if err != nil {
			return fmt.Errorf("changelog: recipients: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		size := s.d.BatchSize
		batches := (len(ids) + size - 1) / size
		res, err := tx.ExecContext(ctx, `INSERT INTO policy_mailings (entry_id, total, batches, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (entry_id) DO NOTHING`, entryID, len(ids), batches, db.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("changelog: start mailing: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // split before
		}
		after := ""
		for b := 0; b < batches; b++ {
			chunk := ids[b*size : min((b+1)*size, len(ids))]
			last := chunk[len(chunk)-1]
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_mailing_batches (entry_id, seq, after_id, last_id, size) VALUES ($1, $2, $3, $4, $5)`,
				entryID, b, after, last, len(chunk)); err != nil {
				return fmt.Errorf("changelog: store batch: %w", err)
			}
			if _, err := s.d.Queue().Insert(ctx, tx, BatchArgs{EntryID: entryID, Seq: int64(b)}, nil); err != nil {
				return err
			}
			after = last
			queued++
		}
		return nil
	})
	return queued, err
}

type recipient struct{ id, email, name string }

// RunBatch queues the notices of one batch: for each user of the batch still active, the
// notice row and its email in one transaction. It returns how many emails it queued.
func (s *Service) RunBatch(ctx context.Context, entryID string, seq int64) (int, error) {
	e, err := s.Entry(ctx, entryID)
	if err != nil {
		return 0, err
	}
	if e.PublishedAt == nil {
		return 0, nil
	}
	var after, last, status string
	err = s.d.DB.R.QueryRowContext(ctx, `SELECT after_id, last_id, status FROM policy_mailing_batches WHERE entry_id = $1 AND seq = $2`,
		entryID, seq).Scan(&after, &last, &status)
	if errors.Is(err, sql.ErrNoRows) || status == "done" {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("changelog: read batch: %w", err)
	}
	queued := 0
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		queued = 0
		rows, err := tx.QueryContext(ctx, `SELECT id, email, name FROM users
			WHERE id > $1 AND id <= $2 AND created_at <= $3 AND status = 'active' AND deleted_at IS NULL ORDER BY id`,
			after, last, db.Millis(*e.PublishedAt))
		if err != nil {
			return fmt.Errorf("changelog: batch recipients: %w", err)
		}
		var users []recipient
		for rows.Next() {
			var r recipient
			if err := rows.Scan(&r.id, &r.email, &r.name); err != nil {
				rows.Close()
				return err
			}
			users = append(users, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := db.Millis(s.now())
		for _, u := range users {
			mailID := newID()
			res, err := tx.ExecContext(ctx, `INSERT INTO policy_notices (entry_id, user_id, mail_id, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (entry_id, user_id) DO NOTHING`, entryID, u.id, mailID, now)
			if err != nil {
				return fmt.Errorf("changelog: store notice: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // this user's notice was queued before
			}
			m, err := s.noticeMessage(e, u)
			if err != nil {
				return err
			}
			m.ID = mailID
			if err := s.d.Mail.Enqueue(ctx, tx, m); err != nil {
				return err
			}
			queued++
		}
		// Done, the batch forgets its boundaries: they are account ids, needed no longer.
		_, err = tx.ExecContext(ctx, `UPDATE policy_mailing_batches SET status = 'done', done_at = $1, after_id = '', last_id = '',
			queued = (SELECT COUNT(*) FROM policy_notices n WHERE n.entry_id = $2 AND n.user_id > $3 AND n.user_id <= $4),
			skipped = size - (SELECT COUNT(*) FROM policy_notices n WHERE n.entry_id = $2 AND n.user_id > $3 AND n.user_id <= $4)
			WHERE entry_id = $2 AND seq = $5 AND status <> 'done'`, now, entryID, after, last, seq)
		return err
	})
	if err == nil && queued > 0 {
		s.d.Logger.Info("policy notices queued", "entry_id", entryID, "batch", seq, "emails", queued)
	}
	return queued, err
}

// noticeMessage renders the email of a policy change for one user. The entry's markdown
// goes into both parts as text: the HTML part escapes it, so nothing in it becomes markup.
func (s *Service) noticeMessage(e Entry, u recipient) (mail.Message, error) {
	base := strings.TrimRight(s.d.PublicURL, "/")
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(e.Body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	m, err := mail.Render("policy_change", map[string]any{
		"Name":        u.name,
		"Title":       e.Title,
		"Body":        strings.TrimSpace(e.Body),
		"Paragraphs":  paras,
		"Effective":   e.EffectiveAt.UTC().Format("2 January 2006"),
		"Operator":    s.d.OperatorName,
		"EntryLink":   base + "/whats-new#entry-" + e.ID,
		"PrivacyLink": base + "/privacy",
		"TermsLink":   base + "/terms",
	})
	if err != nil {
		return mail.Message{}, err
	}
	m.UserID, m.To = u.id, u.email
	return m, nil
}

// Progress is the state of a policy change's mailing.
type Progress struct {
	// Started is false until the mailing has been split into batches.
	Started bool `json:"started"`
	// Total is the number of users planned when the mailing started; Queued have their
	// email stored, Sent delivered, Failed given up after every retry; Skipped were no
	// longer active when their batch ran.
	Total        int64      `json:"total"`
	Queued       int64      `json:"queued"`
	Sent         int64      `json:"sent"`
	Failed       int64      `json:"failed"`
	Pending      int64      `json:"pending"`
	Skipped      int64      `json:"skipped"`
	Batches      int64      `json:"batches"`
	BatchesDone  int64      `json:"batches_done"`
	StartedAt    *time.Time `json:"started_at"`
	PolicyChange bool       `json:"policy_change"`
}

// Progress reports the mailing of an entry.
func (s *Service) Progress(ctx context.Context, entryID string) (Progress, error) {
	e, err := s.Entry(ctx, entryID)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{PolicyChange: e.PolicyChange}
	var started int64
	err = s.d.DB.R.QueryRowContext(ctx, `SELECT total, batches, created_at FROM policy_mailings WHERE entry_id = $1`, entryID).Scan(&p.Total, &p.Batches, &started)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return Progress{}, fmt.Errorf("changelog: progress: %w", err)
	}
	p.Started = true
	t := db.Time(started)
	p.StartedAt = &t
	// A notice whose email is gone from the outbox (kept 30 days) was delivered.
	err = s.d.DB.R.QueryRowContext(ctx, `SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN m.id IS NULL OR m.status IN ('delivered', 'sent') THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END), 0)
		FROM policy_notices n LEFT JOIN mail_outbox m ON m.id = n.mail_id WHERE n.entry_id = $1`, entryID).Scan(&p.Queued, &p.Sent, &p.Failed)
	if err != nil {
		return Progress{}, fmt.Errorf("changelog: progress: %w", err)
	}
	err = s.d.DB.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0), COALESCE(SUM(skipped), 0)
		FROM policy_mailing_batches WHERE entry_id = $1`, entryID).Scan(&p.BatchesDone, &p.Skipped)
	if err != nil {
		return Progress{}, fmt.Errorf("changelog: progress: %w", err)
	}
	p.Pending = p.Queued - p.Sent - p.Failed
	return p, nil
}
