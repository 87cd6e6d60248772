package insights

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/llm"
)

// promptReserve is the part of the token budget kept for the review's instructions and
// output schema; the day gets the rest.
func (s *Service) dayBudget() int {
	fixed := estimateTokens(reviewPrompt) + estimateTokens(string(reviewSchema())) + 16
	return max(s.d.Tokens-fixed, 500)
}

// eligible reports whether the user may be analysed now: an active account that has not
// opted out. Checked when a night is found and again before each step that reads their
// day, so a user who deletes their account or opts out meanwhile is never analysed.
func (s *Service) eligible(ctx context.Context, userID string) (bool, error) {
	active, err := s.d.Accounts.Active(ctx, userID)
	if err != nil || !active {
		return false, err
	}
	return s.d.Activity.AnalysisAllowed(ctx, userID)
}

// input reads the user-night and renders it within the budget; empty is true when the
// night holds nothing to review.
func (s *Service) input(ctx context.Context, userID, night string) (in *input, loc *time.Location, empty bool, err error) {
	loc, err = s.d.Accounts.Location(ctx, userID)
	if err != nil {
		return nil, nil, false, err
	}
	from, to, err := nightRange(night, loc)
	if err != nil {
		return nil, nil, false, err
	}
	day, err := s.d.Activity.Day(ctx, userID, from, to)
	if err != nil {
		return nil, nil, false, err
	}
	guidance, err := s.GuidanceText(ctx, userID)
	if err != nil {
		return nil, nil, false, err
	}
	in = buildInput(day, guidance, s.dayBudget())
	return in, loc, len(day.Conversations) == 0 && len(day.Feedback) == 0, nil
}

// RunNight analyses one user-night: by a direct call through the router when it has no
// batch answer (no Claude, or its batch failed or expired), then applies the answer. A
// night that is done, skipped or waiting for its batch is left alone, so the job can run
// again safely.
func (s *Service) RunNight(ctx context.Context, userID, night string) error {
	r, err := s.run(ctx, s.d.DB.R, userID, night)
	if err != nil || r == nil {
		return err
	}
	switch r.Status {
	case RunDone, RunSkipped, RunSubmitting, RunSubmitted:
		return nil
	case RunAnalysing:
		if s.now().Sub(r.UpdatedAt) < analysisLease {
			return ErrBusy
		}
	}
	ok, err := s.eligible(ctx, userID)
	if err != nil {
		return err
	}
	if !ok {
		_, err := s.move(ctx, s.d.DB.W, userID, night, RunSkipped, RunPending, RunFallback, RunAnswered, RunAnalysing)
		return err
	}
	if r.Status != RunAnswered {
		if err := s.analyse(ctx, userID, night); err != nil {
			return err
		}
	}
	return s.apply(ctx, userID, night)
}

// analysisLease is how long a direct call holds its night: longer than the night job's
// timeout, so only a worker that died leaves a night to be taken over.
const analysisLease = 6 * time.Minute

// ErrBusy says another worker is analysing the night now (its job is retried later).
var ErrBusy = errors.New("insights: the night is being analysed by another worker")

// analyse makes the direct review call of a night it claims first (so two workers never
// both pay for it) and stores the answer.
func (s *Service) analyse(ctx context.Context, userID, night string) error {
	now := s.now()
	n, err := s.d.DB.Exec(ctx, `UPDATE nightly_runs SET status = $1, updated_at = $2 WHERE user_id = $3 AND night = $4
		AND (status IN ($5, $6) OR (status = $1 AND updated_at < $7))`, RunAnalysing, db.Millis(now), userID, night,
		RunPending, RunFallback, db.Millis(now.Add(-analysisLease)))
	if err != nil {
		return fmt.Errorf("insights: claim night: %w", err)
	}
	if n == 0 {
		r, err := s.run(ctx, s.d.DB.R, userID, night)
		if err != nil || r == nil || r.Status == RunDone || r.Status == RunSkipped || r.Status == RunAnswered {
			return err
		}
		return ErrBusy
	}
	release := func(msg string) {
		s.noteError(ctx, userID, night, msg)
		if _, err := s.move(context.WithoutCancel(ctx), s.d.DB.W, userID, night, RunFallback, RunAnalysing); err != nil {
			s.logger.Warn("releasing a nightly run failed", "error", err)
		}
	}
	in, loc, empty, err := s.input(ctx, userID, night)
	if err != nil {
		release("reading the day failed")
		return err
	}
	if empty {
		_, err := s.move(ctx, s.d.DB.W, userID, night, RunSkipped, RunAnalysing)
		return err
	}
	res, err := s.d.Models.Complete(ctx, reviewRequest(in))
	if err != nil {
		release("the direct review call failed")
		return fmt.Errorf("insights: review call: %w", err)
	}
	o, err := parseOutput(res)
	if err != nil {
		s.record(ctx, userID, night, loc, res, false) // the call was made and is paid for
		release("the review answered without recording a review")
		return err
	}
	u := res.Usage
	stored, err := s.storeAnswer(ctx, userID, night, "direct", "", o, u.InputTokens+u.CacheReadTokens+u.CacheWriteTokens, u.OutputTokens, RunAnalysing)
	if err != nil {
		return err
	}
	if stored {
		s.record(ctx, userID, night, loc, res, false)
	}
	return nil
}

func (s *Service) noteError(ctx context.Context, userID, night, msg string) {
	if _, err := s.d.DB.Exec(ctx, `UPDATE nightly_runs SET error = $1, updated_at = $2 WHERE user_id = $3 AND night = $4`,
		msg, db.Millis(s.now()), userID, night); err != nil {
		s.logger.Warn("recording a nightly error failed", "error", err)
	}
}

// record puts a review call in the usage ledger as background usage.
// The night's run adds the call's cost (the operator's cost per night).
func (s *Service) record(ctx context.Context, userID, night string, loc *time.Location, res llm.Result, batch bool) {
	if s.d.Ledger == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	now := s.now()
	u := res.Usage
	cost, err := s.d.Ledger.RecordReview(ctx, UsageCall{UserID: userID, Provider: res.Provider, Model: res.Model,
		Input: u.InputTokens, Output: u.OutputTokens, CacheRead: u.CacheReadTokens, CacheWrite: u.CacheWriteTokens,
		Batch: batch, Day: now.In(loc).Format(time.DateOnly), At: now})
	if err != nil {
		s.logger.Error("recording nightly review usage failed", "error", err)
		return
	}
	if _, err := s.d.DB.Exec(ctx, `UPDATE nightly_runs SET cost_micros = cost_micros + $1 WHERE user_id = $2 AND night = $3`,
		cost, userID, night); err != nil {
		s.logger.Error("recording nightly review cost failed", "error", err)
	}
}

// apply writes an answered night: its notes and, when changes pass the threshold, a new
// guidance version; the run is done in the same transaction, so it applies once.
func (s *Service) apply(ctx context.Context, userID, night string) error {
	r, err := s.run(ctx, s.d.DB.R, userID, night)
	if err != nil || r == nil || r.Status != RunAnswered {
		return err
	}
	in, _, _, err := s.input(ctx, userID, night)
	if err != nil {
		return err
	}
	var o output
	if err := json.Unmarshal([]byte(r.Result), &o); err != nil {
		return fmt.Errorf("insights: stored answer: %w", err)
	}
	now := s.now()
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		moved, err := s.move(ctx, tx, userID, night, RunDone, RunAnswered)
		if err != nil || !moved {
			return err
		}
		// The answer quoted the day; once applied only the notes keep what is needed.
		down := 0
		for _, r := range in.feedback {
			if r == "down" {
				down++
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE nightly_runs SET result = '', feedback = $1, thumbs_down = $2
			WHERE user_id = $3 AND night = $4`, len(in.feedback), down, userID, night); err != nil {
			return err
		}
		for _, n := range cleanNotes(in, o.Notes) {
			if err := insertNote(ctx, tx, newID(), userID, night, n, now); err != nil {
				return err
			}
		}
		cur, _, err := s.current(ctx, tx, userID)
		if err != nil {
			return err
		}
		bs, applied := decide(cur.Text, in, o.Changes)
		if len(applied) == 0 {
			return nil
		}
		_, err = s.addVersion(ctx, tx, userID, render(bs), SourceNightly, night, applied, now)
		return err
	})
}

// AnalyseNow analyses the user's night at once by a direct call (`ally nightly run`): the
// same job the schedule runs, recorded the same way, so a night already analysed is not
// analysed again. It returns the run's final status.
func (s *Service) AnalyseNow(ctx context.Context, userID, night string) (string, error) {
	if _, err := time.Parse(time.DateOnly, night); err != nil {
		return "", fmt.Errorf("insights: --date must be YYYY-MM-DD")
	}
	ok, err := s.eligible(ctx, userID)
	if err != nil {
		return "", err
	}
	if !ok {
		return RunSkipped, nil
	}
	if err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.insertRun(ctx, tx, userID, night, s.now()); err != nil {
			return err
		}
		// Taken for a direct call at once, so a sweep does not put it in a batch as well.
		_, err := s.move(ctx, tx, userID, night, RunFallback, RunPending)
		return err
	}); err != nil {
		return "", err
	}
	if err := s.RunNight(ctx, userID, night); err != nil {
		return "", err
	}
	r, err := s.run(ctx, s.d.DB.R, userID, night)
	if err != nil || r == nil {
		return "", err
	}
	return r.Status, nil
}
