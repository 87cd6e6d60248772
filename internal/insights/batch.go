package insights

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/llm"
)

// Message Batches limits: a batch holds under 100,000 requests and 256 MB; Ally keeps
// a margin under both.
const (
	maxBatchRequests = 99_000
	maxBatchBytes    = 200 << 20
	// batchExpiry is how long Anthropic works on a batch before expiring what is left.
	batchExpiry = 24 * time.Hour
)

// Batch statuses (nightly_batches.status).
const (
	batchSubmitted = "submitted"
	batchEnded     = "ended"
	batchExpired   = "expired"
)

// pollDelay is the wait before poll number n (from 0): 1, 2, 4 … minutes, at most 30.
func pollDelay(n int64) time.Duration {
	d := time.Minute << min(n, 5)
	return min(d, 30*time.Minute)
}

type pending struct {
	un  userNight
	req llm.BatchRequest
}

// submitPending claims the pending runs, builds their requests and submits them as Message
// Batches; a run whose user may no longer be analysed, or whose day is empty, is skipped.
func (s *Service) submitPending(ctx context.Context, res *SweepResult) error {
	now := s.now()
	runs, err := s.pendingRuns(ctx, now)
	if err != nil {
		return err
	}
	claimed, err := s.claim(ctx, runs)
	if err != nil {
		return err
	}
	var chunk []pending
	var skipped []userNight
	size := 0
	for _, un := range claimed {
		ok, err := s.eligible(ctx, un.userID)
		if err != nil {
			return err
		}
		var in *input
		empty := false
		if ok {
			if in, _, empty, err = s.input(ctx, un.userID, un.night); err != nil {
				return err
			}
		}
		if !ok || empty {
			skipped = append(skipped, un)
			continue
		}
		bytes := len(in.text) + len(reviewPrompt) + 4096
		if len(chunk) >= maxBatchRequests || (len(chunk) > 0 && size+bytes > maxBatchBytes) {
			if err := s.submit(ctx, chunk, res); err != nil {
				return err
			}
			chunk, size = nil, 0
		}
		chunk = append(chunk, pending{un, llm.BatchRequest{CustomID: customID(un.userID, un.night), Request: reviewRequest(in)}})
		size += bytes
	}
	if len(chunk) > 0 {
		if err := s.submit(ctx, chunk, res); err != nil {
			return err
		}
	}
	return s.moveAll(ctx, skipped, RunSkipped, RunSubmitting)
}

// claim moves pending runs to submitting, in transactions of sweepChunk, and returns those
// it took (another sweep may have taken some).
func (s *Service) claim(ctx context.Context, runs []userNight) ([]userNight, error) {
	var out []userNight
	for len(runs) > 0 {
		chunk := runs[:min(sweepChunk, len(runs))]
		runs = runs[len(chunk):]
		var took []userNight
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			took = took[:0]
			for _, un := range chunk {
				moved, err := s.move(ctx, tx, un.userID, un.night, RunSubmitting, RunPending)
				if err != nil {
					return err
				}
				if moved {
					took = append(took, un)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, took...)
	}
	return out, nil
}

// moveAll moves runs from one status to another, in transactions of sweepChunk.
func (s *Service) moveAll(ctx context.Context, runs []userNight, to string, from ...string) error {
	for len(runs) > 0 {
		chunk := runs[:min(sweepChunk, len(runs))]
		runs = runs[len(chunk):]
		if err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			for _, un := range chunk {
				if _, err := s.move(ctx, tx, un.userID, un.night, to, from...); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// submit creates one batch and records it with its runs and its poll job; when the batch
// cannot be created the runs fall back to direct calls.
func (s *Service) submit(ctx context.Context, chunk []pending, res *SweepResult) error {
	reqs := make([]llm.BatchRequest, len(chunk))
	runs := make([]userNight, len(chunk))
	for i, p := range chunk {
		reqs[i], runs[i] = p.req, p.un
	}
	st, err := s.d.Batches.CreateBatch(ctx, llm.TierSmall, reqs)
	if err != nil {
		s.logger.Warn("creating a nightly batch failed; analysing by direct calls", "requests", len(reqs), "error", err)
		return s.fallback(ctx, runs, RunSubmitting)
	}
	now := s.now()
	res.Batches++
	res.Requests += len(reqs)
	s.logger.Info("nightly batch submitted", "batch_id", st.ID, "requests", len(reqs))
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO nightly_batches (id, requests, status, polls, expires_at, created_at, updated_at)
			VALUES ($1, $2, $3, 0, $4, $5, $5)`, st.ID, len(reqs), batchSubmitted, db.Millis(now.Add(batchExpiry)), db.Millis(now)); err != nil {
			return fmt.Errorf("insights: record batch: %w", err)
		}
		for _, un := range runs {
			if _, err := tx.ExecContext(ctx, `UPDATE nightly_runs SET status = $1, batch_id = $2, updated_at = $3
				WHERE user_id = $4 AND night = $5 AND status = $6`, RunSubmitted, st.ID, db.Millis(now), un.userID, un.night, RunSubmitting); err != nil {
				return fmt.Errorf("insights: record batch run: %w", err)
			}
		}
		_, err := s.d.Queue().Insert(ctx, tx, PollArgs{BatchID: st.ID}, &river.InsertOpts{ScheduledAt: time.Now().Add(pollDelay(0))})
		return err
	})
}

// Poll checks a batch: until it ends it snoozes the job with a growing delay; once ended
// it stores each result on its run (matched by custom_id), sends the runs without a usable
// result to direct calls, and queues every run's job. A batch past its 24 hours is
// treated as expired: its runs fall back to direct calls.
func (s *Service) Poll(ctx context.Context, batchID string) error {
	var status string
	var polls, expires int64
	err := s.d.DB.R.QueryRowContext(ctx, `SELECT status, polls, expires_at FROM nightly_batches WHERE id = $1`, batchID).
		Scan(&status, &polls, &expires)
	if err == sql.ErrNoRows || (err == nil && status != batchSubmitted) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("insights: read batch: %w", err)
	}
	now := s.now()
	st, err := s.d.Batches.PollBatch(ctx, batchID)
	if err != nil {
		if now.After(db.Time(expires).Add(time.Hour)) {
			return s.finishBatch(ctx, batchID, batchExpired)
		}
		return err
	}
	if !st.Ended {
		if now.After(db.Time(expires)) {
			return s.finishBatch(ctx, batchID, batchExpired)
		}
		if _, err := s.d.DB.Exec(ctx, `UPDATE nightly_batches SET polls = polls + 1, updated_at = $1 WHERE id = $2`,
			db.Millis(now), batchID); err != nil {
			return err
		}
		return river.JobSnooze(pollDelay(polls + 1))
	}
	locs := map[string]*time.Location{}
	err = s.d.Batches.BatchResults(ctx, batchID, func(r llm.BatchResult) error {
		userID, night, ok := parseCustomID(r.CustomID)
		if !ok || r.Err != nil {
			return nil // left submitted: falls back below
		}
		o, perr := parseOutput(r.Result)
		if perr != nil {
			return nil
		}
		u := r.Result.Usage
		stored, err := s.storeAnswer(ctx, userID, night, "batch", batchID, o, u.InputTokens+u.CacheReadTokens+u.CacheWriteTokens, u.OutputTokens, RunSubmitted)
		if err != nil || !stored {
			return err
		}
		loc := locs[userID]
		if loc == nil {
			if loc, err = s.d.Accounts.Location(ctx, userID); err != nil {
				loc = time.UTC
			}
			locs[userID] = loc
		}
		s.record(ctx, userID, night, loc, r.Result, true)
		return nil
	})
	if err != nil {
		return err // retried: answers already stored are not stored (or charged) again
	}
	return s.finishBatch(ctx, batchID, batchEnded)
}

// finishBatch sends the batch's runs without an answer to direct calls, queues the job of
// every run of the batch and closes the batch.
func (s *Service) finishBatch(ctx context.Context, batchID, status string) error {
	// Fallback ones too: a retry after a cut finish must still queue their jobs (unique).
	runs, err := s.listRuns(ctx, `batch_id = $1 AND status IN ($2, $3, $4)`, batchID, RunSubmitted, RunAnswered, RunFallback)
	if err != nil {
		return err
	}
	if _, err := s.d.DB.Exec(ctx, `UPDATE nightly_runs SET status = $1, updated_at = $2 WHERE batch_id = $3 AND status = $4`,
		RunFallback, db.Millis(s.now()), batchID, RunSubmitted); err != nil {
		return err
	}
	for len(runs) > 0 {
		chunk := runs[:min(sweepChunk, len(runs))]
		runs = runs[len(chunk):]
		if err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			for _, un := range chunk {
				if _, err := s.d.Queue().Insert(ctx, tx, NightArgs{UserID: un.userID, Night: un.night}, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if status == batchExpired {
		s.logger.Warn("nightly batch expired; its remaining nights are analysed by direct calls", "batch_id", batchID)
	}
	_, err = s.d.DB.Exec(ctx, `UPDATE nightly_batches SET status = $1, updated_at = $2 WHERE id = $3`, status, db.Millis(s.now()), batchID)
	return err
}
