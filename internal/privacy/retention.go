package privacy

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// RetentionRule deletes a table's rows once they are older than a fixed age (PRIV-4).
type RetentionRule struct {
	Table string
	// Column holds the row's time: unix milliseconds, or a local date YYYY-MM-DD when Day
	// is set (daily aggregates).
	Column string
	Day    bool
	// Months and Days are the age after which a row goes.
	Months, Days int
}

// Describe says how long the rule keeps rows, for people.
func (r RetentionRule) Describe() string {
	if r.Months > 0 {
		return fmt.Sprintf("%d months", r.Months)
	}
	return fmt.Sprintf("%d days", r.Days)
}

// cutoff is the oldest time a row may have at now.
func (r RetentionRule) cutoff(now time.Time) time.Time { return now.AddDate(0, -r.Months, -r.Days) }

// Retention lists the retention rules this package applies. Usage is aggregated into
// daily rows (usage_daily) and per-conversation rows (usage_conversations) as it is
// recorded; the raw ledger and the aggregates each go after 12 months (a conversation's
// totals 12 months after its last model call); feedback goes after 12 months. Sent and
// queued email (the outbox holds addresses and, with the outbox sender, whole messages
// with single-use links) goes after 30 days. Sign-in history (90 days) is kept by the accounts feature's own retention job,
// registered with AddRetention.
var Retention = []RetentionRule{
	{Table: "usage_events", Column: "created_at", Months: 12},
	{Table: "usage_daily", Column: "day", Day: true, Months: 12},
	{Table: "usage_conversations", Column: "updated_at", Months: 12},
	{Table: "message_feedback", Column: "created_at", Months: 12},
	{Table: "mail_outbox", Column: "created_at", Days: 30},
}

// Retainer is a feature's own retention job, run by `ally retention run` together with
// this package's rules.
type Retainer struct {
	// Table is the table it keeps short, and Keep how long, for people (PRIV-1).
	Table, Keep string
	Run         func(ctx context.Context) (int64, error)
}

// AddRetention registers a feature's own retention job.
func (s *Service) AddRetention(r Retainer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retainers = append(s.retainers, r)
}

// retentionPeriods describes how long each table with a retention rule keeps rows.
func (s *Service) retentionPeriods() map[string]string {
	out := map[string]string{}
	for _, r := range Retention {
		out[r.Table] = r.Describe()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.retainers {
		out[r.Table] = r.Keep
	}
	return out
}

// runRetainers runs the features' own retention jobs.
func (s *Service) runRetainers(ctx context.Context, out map[string]int64) error {
	s.mu.Lock()
	rs := append([]Retainer(nil), s.retainers...)
	s.mu.Unlock()
	for _, r := range rs {
		n, err := r.Run(ctx)
		if err != nil {
			return fmt.Errorf("privacy: retention of %s: %w", r.Table, err)
		}
		out[r.Table] += n
		s.scrub.add(map[string]int64{r.Table: n})
	}
	return s.scrubDeleted(ctx)
}

// ApplyRetention deletes every row past its rule's age and returns the count per table.
func (s *Service) ApplyRetention(ctx context.Context) (map[string]int64, error) {
	now := s.now()
	out := map[string]int64{}
	for _, r := range Retention {
		cut := r.cutoff(now)
		var arg any = db.Millis(cut)
		if r.Day {
			arg = cut.Format("2006-01-02") // dates compare as text

		}
		res, err := s.db.W.ExecContext(ctx, `DELETE FROM `+r.Table+` WHERE `+r.Column+` < $1`, arg)
		if err != nil {
			return out, fmt.Errorf("privacy: retention %s: %w", r.Table, err)
		}
		n, _ := res.RowsAffected()
		out[r.Table] = n
	}
	s.scrub.add(out)
	return out, s.scrubDeleted(ctx)
}
