package changelog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db"
)

// auditRecorder is an audit log kept in memory: the actions the service reported.
type auditRecorder struct {
	mu      sync.Mutex
	actions []string
}

func (a *auditRecorder) RecordAudit(ctx context.Context, actorID, action, targetType, targetID string, details map[string]any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.actions = append(a.actions, fmt.Sprintf("%s %s %s:%s", actorID, action, targetType, targetID))
	return nil
}

func (a *auditRecorder) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.actions...)
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling for an event, not waiting for time
	}
}

func count(t testing.TB, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// policyMails counts the policy-change emails stored for an address.
func policyMails(t testing.TB, s *apptest.Server, to string) int {
	return count(t, s.DB, `SELECT COUNT(*) FROM mail_outbox WHERE kind = 'policy_change' AND to_addr = $1`, to)
}

// ahead is the date d days from now, YYYY-MM-DD.
func ahead(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }

type entry struct {
	ID           string  `json:"id"`
	Title        string  `json:"title"`
	Body         string  `json:"body"`
	Status       string  `json:"status"`
	PolicyChange bool    `json:"policy_change"`
	EffectiveAt  *string `json:"effective_at"`
	PublishedAt  *string `json:"published_at"`
}
