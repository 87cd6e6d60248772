package insights

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// Statuses of a user-night (nightly_runs.status).
const (
	RunPending    = "pending"
	RunSubmitting = "submitting"
	RunSubmitted  = "submitted"
	RunAnswered   = "answered"
	RunFallback   = "fallback"
	// RunAnalysing is a night whose direct call is in progress (held for analysisLease).
	RunAnalysing = "analysing"
	RunDone      = "done"
	RunSkipped   = "skipped"
)

// Run is the state of one user-night.
type Run struct {
	UserID, Night, Status, BatchID, Via string
	Result                              string
	InputTokens, OutputTokens           int64
	Error                               string
	UpdatedAt                           time.Time
}

func (s *Service) run(ctx context.Context, q querier, userID, night string) (*Run, error) {
	r := &Run{UserID: userID, Night: night}
	var at int64
	err := q.QueryRowContext(ctx, `SELECT status, batch_id, via, result, input_tokens, output_tokens, error, updated_at
		FROM nightly_runs WHERE user_id = $1 AND night = $2`, userID, night).
		Scan(&r.Status, &r.BatchID, &r.Via, &r.Result, &r.InputTokens, &r.OutputTokens, &r.Error, &at)
	r.UpdatedAt = db.Time(at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("insights: read run: %w", err)
	}
	return r, nil
}

// insertRun records a user-night as pending unless it has a row already (reported false).
func (s *Service) insertRun(ctx context.Context, tx *sql.Tx, userID, night string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO nightly_runs (user_id, night, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, night) DO NOTHING`, userID, night, RunPending, db.Millis(now))
	if err != nil {
		return false, fmt.Errorf("insights: record run: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// move changes a run's status from one of from, reporting whether it did (the claim that
// makes every step of a night happen once).
func (s *Service) move(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, userID, night, to string, from ...string) (bool, error) {
	args := []any{to, db.Millis(s.now()), userID, night}
	in := ""
	for i, f := range from {
		if i > 0 {
			in += ", "
		}
		in += fmt.Sprintf("$%d", len(args)+1)
		args = append(args, f)
	}
	res, err := q.ExecContext(ctx, `UPDATE nightly_runs SET status = $1, updated_at = $2
		WHERE user_id = $3 AND night = $4 AND status IN (`+in+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("insights: update run: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// storeAnswer keeps a model's answer on the run (answered), once: it reports false when
// another step stored one first. The answer's usage is recorded by the caller only then.
// With batchID set, only a run of that batch takes it.
func (s *Service) storeAnswer(ctx context.Context, userID, night, via, batchID string, o output, input, out int64, from ...string) (bool, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return false, err
	}
	args := []any{RunAnswered, via, string(raw), input, out, db.Millis(s.now()), userID, night, batchID}
	in := ""
	for i, f := range from {
		if i > 0 {
			in += ", "
		}
		in += fmt.Sprintf("$%d", len(args)+1)
		args = append(args, f)
	}
	n, err := s.d.DB.Exec(ctx, `UPDATE nightly_runs SET status = $1, via = $2, result = $3, input_tokens = $4,
		output_tokens = $5, error = '', updated_at = $6 WHERE user_id = $7 AND night = $8 AND ($9 = '' OR batch_id = $9)
		AND status IN (`+in+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("insights: store answer: %w", err)
	}
	return n == 1, nil
}

// newID is a random id for notes.
func newID() string { return rand.Text() }

// nightRange is the local day night in loc, as instants.
func nightRange(night string, loc *time.Location) (time.Time, time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, night, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("insights: night %q: %w", night, err)
	}
	return d, time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc), nil
}

// customID names a user-night in a batch: Anthropic allows letters, digits, _ and - in
// a custom_id (at most 64), so user:date is written user_YYYYMMDD.
func customID(userID, night string) string {
	t, _ := time.Parse(time.DateOnly, night)
	return userID + "_" + t.Format("20060102")
}

func parseCustomID(id string) (userID, night string, ok bool) {
	if len(id) < 10 || id[len(id)-9] != '_' {
		return "", "", false
	}
	t, err := time.Parse("20060102", id[len(id)-8:])
	if err != nil {
		return "", "", false
	}
	return id[:len(id)-9], t.Format(time.DateOnly), true
}
